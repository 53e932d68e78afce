package dev.tessera.bench;

import java.time.LocalDate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One line of a Tessera results log: a kernel at one shape and dtype, measured for one provider on
 * one device on one day. Written as
 * {@code {"kernel":…,"shape":…,"dtype":…,"provider":…,"ms":<median>,"GBps":…,"device":…,"date":"YYYY-MM-DD"}}
 * where the metric key ({@code "GBps"}, {@code "TFLOPs"}, …) is present only when there is a metric
 * besides the time; any {@code extra} fields (e.g. an autotuner's config) follow the standard ones.
 *
 * @param metricKey   JSON key of the throughput metric, or {@code null} for none
 * @param metricValue its value (ignored when {@code metricKey} is null)
 * @param extra       further fields, written in order after {@code date}; never null
 */
public record ResultRecord(String kernel, String shape, String dtype, String provider, double ms,
                           String metricKey, double metricValue, String device, LocalDate date,
                           Map<String, Object> extra) {

    /** The fields every record has, in the order they are written. */
    public static final java.util.List<String> STANDARD_KEYS =
            java.util.List.of("kernel", "shape", "dtype", "provider", "ms", "device", "date");

    public ResultRecord {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(date, "date");
        if (metricKey != null && (metricKey.equals("ms") || STANDARD_KEYS.contains(metricKey))) {
            throw new IllegalArgumentException("metric key '" + metricKey + "' clashes with a standard field");
        }
        extra = extra == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
        for (String k : extra.keySet()) {
            if (STANDARD_KEYS.contains(k) || k.equals(metricKey)) {
                throw new IllegalArgumentException("extra field '" + k + "' clashes with a standard field");
            }
        }
    }

    /** A record with a throughput metric and no extra fields. */
    public static ResultRecord of(String kernel, String shape, String dtype, String provider, double ms,
                                  String metricKey, double metricValue, String device, LocalDate date) {
        return new ResultRecord(kernel, shape, dtype, provider, ms, metricKey, metricValue, device, date, Map.of());
    }

    /** {@code v} to 6 significant digits: far finer than timing noise, and the logs stay readable. */
    static double round(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v) || v == 0) return v;
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).doubleValue();
    }

    /** The record as one line of JSON (no trailing newline); ms and the metric to 6 significant digits. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kernel", kernel);
        m.put("shape", shape);
        m.put("dtype", dtype);
        m.put("provider", provider);
        m.put("ms", round(ms));
        if (metricKey != null) m.put(metricKey, round(metricValue));
        m.put("device", device);
        m.put("date", date.toString());
        m.putAll(extra);
        return JsonWriter.write(m);
    }

    /**
     * Reads a record back from one line of a results log. The first key that is not a standard
     * field and holds a number is taken as the metric; any others become {@code extra}.
     */
    public static ResultRecord fromJson(String line) {
        Map<String, Object> m = JsonReader.parseObject(line);
        String metricKey = null;
        double metricValue = Double.NaN;
        Map<String, Object> extra = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            if (STANDARD_KEYS.contains(e.getKey())) continue;
            if (metricKey == null && e.getValue() instanceof Number n) {
                metricKey = e.getKey();
                metricValue = n.doubleValue();
            } else {
                extra.put(e.getKey(), e.getValue());
            }
        }
        return new ResultRecord(text(m, "kernel"), text(m, "shape"), text(m, "dtype"), text(m, "provider"),
                m.get("ms") instanceof Number n ? n.doubleValue() : Double.NaN, metricKey, metricValue,
                text(m, "device"), LocalDate.parse(text(m, "date")), extra);
    }

    private static String text(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof String s)) {
            throw new IllegalArgumentException("results record lacks string field '" + key + "': " + m);
        }
        return s;
    }
}
