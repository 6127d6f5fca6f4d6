package io.oxllm.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Parsed command line. Flags keep the Vert.x launcher's spelling ({@code -conf}, {@code -instances});
 * the double-dash forms are accepted too. {@code args} are the words after the command
 * ({@code provider offline NAME} → command "provider", args [offline, NAME]).
 */
record CliArgs(String command, List<String> args, String conf, Integer instances, String url, boolean json) {
  static final String USAGE = String.join("\n",
      "usage: oxllm [serve] [-conf FILE] [-instances N]     run the gateway",
      "       oxllm validate [-conf FILE]                   check a config (exit 0 valid, 2 invalid)",
      "       oxllm status [--json]                         provider and virtual-model tables",
      "       oxllm provider list|offline NAME|online NAME|reset NAME",
      "       oxllm reload                                  re-read the config now",
      "       oxllm stop                                    graceful stop (drains streams)",
      "       oxllm mock [-port 9090] [--ttft-ms N] [--fault F] ...   fake OpenAI upstream (oxllm mock -h)",
      "client commands find the gateway from the config (server.host/port, admin_token) or --url URL",
      "config: -conf, else $OXLLM_CONFIG, else ./conf/config.toml, else ~/.config/oxllm/config.toml");

  static CliArgs parse(String[] argv) {
    String command = null;
    List<String> rest = new ArrayList<>();
    String conf = null;
    Integer instances = null;
    String url = null;
    boolean json = false;
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      switch (a) {
        case "-conf", "--conf" -> conf = once(a, conf, value(argv, ++i, a));
        case "-instances", "--instances" -> instances = instances(a, value(argv, ++i, a));
        case "--url", "-url" -> url = value(argv, ++i, a);
        case "--json" -> json = true;
        case "-h", "--help", "help" -> command = "help";
        default -> {
          if (a.startsWith("-")) {
            throw new IllegalArgumentException("unknown option '" + a + "'");
          }
          if (command == null) {
            command = a;
          } else {
            rest.add(a);
          }
        }
      }
    }
    command = command == null ? "serve" : command;
    // only provider takes words after it (an action and a name); a word elsewhere is a mistake, such
    // as a config file given without -conf, which would otherwise be ignored for the default one
    int words = "provider".equals(command) ? 2 : "help".equals(command) ? Integer.MAX_VALUE : 0;
    if (rest.size() > words) {
      String extra = rest.get(words);
      throw new IllegalArgumentException("unexpected argument '" + extra + "'"
          + (extra.endsWith(".toml") ? " (give a config file with -conf " + extra + ")" : ""));
    }
    onlyWhereItMeansSomething(command, instances != null, url != null, json);
    return new CliArgs(command, List.copyOf(rest), conf, instances, url, json);
  }

  /**
   * A flag that the command would ignore is a mistake, as an extra word is: {@code serve --url X}
   * served the local config on its own port, when {@code status --url X} was meant.
   */
  private static void onlyWhereItMeansSomething(String command, boolean instances, boolean url, boolean json) {
    boolean client = CLIENT_COMMANDS.contains(command);
    if (!client && !KNOWN_COMMANDS.contains(command)) {
      return; // an unknown command is reported as that
    }
    if (instances && !"serve".equals(command)) {
      throw new IllegalArgumentException("-instances is for serve, not " + command);
    }
    if (url && !client) {
      throw new IllegalArgumentException("--url is for the client commands (status, provider, reload, stop), not " + command);
    }
    if (json && !"status".equals(command) && !"provider".equals(command)) {
      throw new IllegalArgumentException("--json is for status and provider list, not " + command);
    }
  }

  private static final List<String> CLIENT_COMMANDS = List.of("status", "provider", "reload", "stop");
  private static final List<String> KNOWN_COMMANDS = List.of("serve", "validate", "help");

  /** 1 to 1024, as {@code server.instances} may be: 99999 event loops ran out of direct memory. */
  private static Integer instances(String flag, String v) {
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " needs a whole number, not '" + v + "'");
    }
    if (n < 1 || n > 1024) {
      throw new IllegalArgumentException(flag + " must be 1 to 1024, as server.instances may be");
    }
    return n;
  }

  private static String once(String flag, String before, String value) {
    if (before != null) {
      throw new IllegalArgumentException(flag + " given twice ('" + before + "', '" + value + "')");
    }
    return value;
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }
}
