package io.oxllm.cli;

import sun.misc.Signal;

/**
 * POSIX signals: HUP reloads the config; TERM and INT start a graceful stop that exits 0 (the
 * JVM's own handling would exit 143 and give in-flight streams no grace). {@code sun.misc.Signal}
 * is the only JDK API for this; the handler runs on a JVM thread, so it only hands off.
 */
final class Signals {
  private Signals() {}

  static void onReload(Runnable action) {
    handle("HUP", action);
  }

  static void onStop(Runnable action) {
    handle("TERM", action);
    handle("INT", action);
  }

  private static void handle(String name, Runnable action) {
    try {
      Signal.handle(new Signal(name), s -> action.run());
    } catch (IllegalArgumentException e) {
      // -Xrs, or a platform without this signal: keep the JVM's default behaviour
      System.err.println("oxllm: cannot handle SIG" + name + ": " + e.getMessage());
    }
  }
}
