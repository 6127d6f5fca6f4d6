package io.oxllm.cli;

/**
 * Parsed command line. Flags keep the Vert.x launcher's spelling ({@code -conf}, {@code -instances});
 * the double-dash forms are accepted too.
 */
record CliArgs(String command, String conf, Integer instances) {
  static final String USAGE = String.join("\n",
      "usage: oxllm [serve] [-conf FILE] [-instances N]",
      "       oxllm validate [-conf FILE]",
      "config: -conf, else $OXLLM_CONFIG, else ./conf/config.toml, else ~/.config/oxllm/config.toml");

  static CliArgs parse(String[] args) {
    String command = null;
    String conf = null;
    Integer instances = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "-conf", "--conf" -> conf = value(args, ++i, a);
        case "-instances", "--instances" -> {
          String v = value(args, ++i, a);
          try {
            instances = Integer.parseInt(v);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(a + " needs a whole number, not '" + v + "'");
          }
          if (instances < 1) {
            throw new IllegalArgumentException(a + " must be at least 1");
          }
        }
        case "-h", "--help" -> command = "help";
        default -> {
          if (a.startsWith("-")) {
            throw new IllegalArgumentException("unknown option '" + a + "'");
          }
          if (command != null) {
            throw new IllegalArgumentException("unexpected argument '" + a + "'");
          }
          command = a;
        }
      }
    }
    return new CliArgs(command == null ? "serve" : command, conf, instances);
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }
}
