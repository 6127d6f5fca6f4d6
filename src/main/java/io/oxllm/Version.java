package io.oxllm;

/** The gateway's version, from the jar manifest ("dev" when run from classes). */
public final class Version {
  public static final String VALUE = read();

  private Version() {}

  private static String read() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v != null ? v : "dev";
  }
}
