package dev.tessera.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Rewrites the SVG that XChart produces so that each drawn polyline is one {@code <path>}: XChart
 * draws a series as separate {@code <line>} segments, which makes the file larger and each series
 * hard to select or restyle. Sibling lines with the same style, each starting where the previous one
 * ended, become one {@code <path d="M x0,y0 L x1,y1 …">} with that style, placed where the first
 * segment was (other elements between them, such as markers, stay where they are and so end up
 * drawn over the line); any other line becomes a one-segment path. The DOCTYPE (an external DTD
 * reference) is dropped, as SVG 2 recommends; it is never fetched.
 */
final class SvgPolylines {

    private SvgPolylines() {}

    static byte[] mergeLines(byte[] svg) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            DocumentBuilder b = f.newDocumentBuilder();
            Document doc = b.parse(new ByteArrayInputStream(svg));
            merge(doc.getDocumentElement());
            if (doc.getDoctype() != null) doc.removeChild(doc.getDoctype());
            Transformer t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            ByteArrayOutputStream out = new ByteArrayOutputStream(svg.length);
            t.transform(new DOMSource(doc), new StreamResult(out));
            return out.toByteArray();
        } catch (Exception e) {
            throw new IllegalStateException("cannot post-process the chart SVG: " + e, e);
        }
    }

    private static void merge(Element parent) {
        List<Element> run = new ArrayList<>();
        Node child = parent.getFirstChild();
        while (child != null) {
            Node next = child.getNextSibling();
            if (child instanceof Element e) {
                if (!isLine(e)) {
                    merge(e); // e.g. a marker between two segments: the run stays open
                } else if (run.isEmpty() || continues(run.getLast(), e)) {
                    run.add(e);
                } else {
                    flush(parent, run);
                    run.add(e);
                }
            }
            child = next;
        }
        flush(parent, run);
    }

    private static boolean isLine(Element e) {
        return "line".equals(e.getLocalName()) && e.hasAttribute("x1") && e.hasAttribute("y1")
                && e.hasAttribute("x2") && e.hasAttribute("y2") && !e.hasAttribute("transform") && !e.hasAttribute("id");
    }

    private static boolean continues(Element prev, Element e) {
        return prev.getAttribute("style").equals(e.getAttribute("style"))
                && prev.getAttribute("clip-path").equals(e.getAttribute("clip-path"))
                && prev.getAttribute("x2").equals(e.getAttribute("x1"))
                && prev.getAttribute("y2").equals(e.getAttribute("y1"));
    }

    /** Replaces the run of lines with one path placed where the first line was. */
    private static void flush(Element parent, List<Element> run) {
        if (run.isEmpty()) return;
        Element first = run.getFirst();
        Element path = parent.getOwnerDocument().createElementNS(first.getNamespaceURI(), "path");
        StringBuilder d = new StringBuilder("M").append(first.getAttribute("x1")).append(',').append(first.getAttribute("y1"));
        for (Element line : run) d.append(" L").append(line.getAttribute("x2")).append(',').append(line.getAttribute("y2"));
        for (int i = 0; i < first.getAttributes().getLength(); i++) {
            Node a = first.getAttributes().item(i);
            String name = a.getNodeName();
            if (!name.equals("x1") && !name.equals("y1") && !name.equals("x2") && !name.equals("y2")) {
                path.setAttribute(name, a.getNodeValue());
            }
        }
        path.setAttribute("d", d.toString());
        parent.insertBefore(path, first);
        for (Element line : run) {
            // drop the whitespace text that indented each removed line, then the line itself
            Node prev = line.getPreviousSibling();
            if (line != first && prev != null && prev.getNodeType() == Node.TEXT_NODE && prev.getTextContent().isBlank()) {
                parent.removeChild(prev);
            }
            parent.removeChild(line);
        }
        run.clear();
    }
}
