package dev.tessera.cli;

import dev.tessera.backend.Backend;
import dev.tessera.backend.DeviceInfo;
import dev.tessera.runtime.Backends;
import dev.tessera.runtime.Device;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Lists the backends on the class path and the devices each found. */
@Command(name = "info", mixinStandardHelpOptions = true, version = Main.VERSION, description = "Show the backends and devices Tessera finds on this machine.")
final class InfoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println(Main.VERSION + " on Java " + Runtime.version() + " (" + System.getProperty("os.name") + ", "
                + System.getProperty("os.arch") + ")");
        for (Backend b : Backends.all()) {
            if (b.devices().isEmpty()) {
                System.out.println("  " + b.name() + ": no devices (" + b.unavailableReason() + ")");
                continue;
            }
            for (DeviceInfo d : b.devices()) {
                System.out.println("  " + d.id() + ": " + d.name());
                System.out.println("      " + d.description());
            }
        }
        System.out.println("default device: " + Device.defaultDevice());
        return 0;
    }
}
