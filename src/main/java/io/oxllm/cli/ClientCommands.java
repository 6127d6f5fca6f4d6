package io.oxllm.cli;

import io.oxllm.admin.StatusText;
import io.oxllm.config.ConfigLocator;
import io.oxllm.config.ConfigLoader;
import io.oxllm.config.ConfigResult;
import io.oxllm.config.ServerConfig;
import io.oxllm.config.UpstreamUrl;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The client commands of SPEC section 1 ({@code status}, {@code provider …}, {@code reload},
 * {@code stop}), all through the running gateway's admin API: no pid files. Exit codes: 0 ok,
 * 1 the gateway is not running or refused, 2 usage or config error.
 */
final class ClientCommands {
  private final PrintStream out;
  private final PrintStream err;

  private ClientCommands(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  static int run(CliArgs cli, PrintStream out, PrintStream err) {
    return new ClientCommands(out, err).dispatch(cli);
  }

  private int dispatch(CliArgs cli) {
    AdminClient client;
    try {
      client = connect(cli);
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      return 2;
    }
    try {
      return switch (cli.command()) {
        case "status" -> status(client, cli.json());
        case "provider" -> provider(client, cli);
        case "reload" -> reload(client);
        case "stop" -> stop(client);
        default -> throw new IllegalStateException(cli.command());
      };
    } catch (AdminClient.NotRunning e) {
      err.println(e.getMessage());
      return 1;
    }
  }

  /** The admin URL and token: {@code --url} or the config's server.host/port; the token from the config. */
  private AdminClient connect(CliArgs cli) {
    Path path = ConfigLocator.locate(cli.conf(), System::getenv);
    ServerConfig server = null;
    ConfigResult r = ConfigLoader.readNow(path, System::getenv);
    if (r.ok()) {
      server = r.config().server();
    } else if (cli.url() == null) {
      throw new IllegalArgumentException(Files.exists(path)
          ? "oxllm: " + path + " is invalid, so the gateway's address is unknown (fix it, see 'oxllm validate',"
              + " or pass --url): " + r.problems().get(0)
          : "oxllm: no config at " + path + " to find the gateway; pass -conf FILE or --url URL");
    }
    String token = server == null ? "" : server.adminToken();
    if (cli.url() != null) {
      if (server == null && Files.exists(path)) {
        // a 401 later would not say why: the admin token was in the file that did not load
        err.println("oxllm: " + path + " is invalid, so no admin_token is sent to " + cli.url() + ": "
            + r.problems().get(0));
      }
      return new AdminClient(checkedUrl(cli.url()), token);
    }
    if (server.port() == 0) {
      // port 0 is "any free port": the config cannot say which one the gateway got
      throw new IllegalArgumentException("oxllm: " + path + " has server.port = 0 (any free port), so the gateway's"
          + " address is unknown; pass --url with the port it printed at startup");
    }
    return new AdminClient("http://" + loopbackFor(server.bindHost()) + ":" + server.port(), token);
  }

  /**
   * {@code --url} as the base of the admin calls, or a usage error saying what is wrong with it
   * ({@code 127.0.0.1:8080} without its scheme is the likely slip).
   */
  private static String checkedUrl(String url) {
    try {
      UpstreamUrl parsed = UpstreamUrl.parse(url);
      if (java.net.URI.create(parsed.toString()).getHost() == null) { // the JDK's client takes what URI does
        throw new IllegalArgumentException("names a host this client cannot reach by name (a '_' in it?); give its address");
      }
      return parsed.toString();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("oxllm: --url \"" + UpstreamUrl.forMessage(url) + "\" "
          + e.getMessage().replace("\n", " ") + "; give the gateway's address like http://127.0.0.1:8080");
    }
  }

  /** The address the gateway binds ({@code ServerConfig.bindHost}), as reached from here: a wildcard on loopback. */
  private static String loopbackFor(String bound) {
    if (bound.equals("0.0.0.0")) {
      return "127.0.0.1";
    }
    if (bound.equals("::")) {
      return "[::1]";
    }
    return bound.contains(":") ? "[" + bound + "]" : bound;
  }

  private int status(AdminClient client, boolean json) throws AdminClient.NotRunning {
    AdminClient.Answer a = json ? client.get("/status", "application/json") : client.get("/status?format=text", "text/plain");
    if (a.status() != 200) {
      return refused(client, a);
    }
    // the gateway's status is JSON with a provider list, or the tables as plain text
    boolean ours = json ? hasArray(parse(a.body()), "providers") : a.contentType().startsWith("text/plain");
    if (!ours) {
      return notTheGateway(client, a);
    }
    out.print(a.body());
    return 0;
  }

  private int provider(AdminClient client, CliArgs cli) throws AdminClient.NotRunning {
    String action = cli.args().isEmpty() ? "" : cli.args().get(0);
    if (action.equals("list") && cli.args().size() == 1) {
      AdminClient.Answer a = client.get("/status", "application/json");
      if (a.status() != 200) {
        return refused(client, a);
      }
      JsonObject status = parse(a.body());
      if (!hasArray(status, "providers")) {
        return notTheGateway(client, a);
      }
      out.print(cli.json() ? status.getJsonArray("providers").encodePrettily() + "\n"
          : StatusText.providers(status.getJsonArray("providers")));
      return 0;
    }
    if ((action.equals("offline") || action.equals("online") || action.equals("reset")) && cli.args().size() == 2
        && !cli.args().get(1).isBlank()) {
      String name = cli.args().get(1);
      AdminClient.Answer a = client.post("/admin/providers/" + java.net.URLEncoder.encode(name,
          java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") + "/" + action);
      if (a.status() != 200) {
        return refused(client, a);
      }
      JsonObject p = parse(a.body());
      if (p == null || !(p.getValue("state") instanceof String) || !(p.getValue("offline") instanceof Boolean)) {
        return notTheGateway(client, a);
      }
      // online says nothing of the config: a provider with enabled = false still takes no request
      String availability = p.getBoolean("offline") ? "offline"
          : p.getBoolean("enabled", true) ? "online" : "online, but disabled in the config (enabled = false)";
      out.println("provider " + name + ": " + availability + ", circuit " + p.getString("state") + ", " + p.getLong("consecutive_failures") + " consecutive failures");
      return 0;
    }
    err.println("oxllm: usage: oxllm provider list | offline NAME | online NAME | reset NAME");
    return 2;
  }

  private int reload(AdminClient client) throws AdminClient.NotRunning {
    AdminClient.Answer a = client.post("/reload");
    JsonObject r = reloadOf(parse(a.body()));
    if (r == null) {
      return refused(client, a);
    }
    if (!r.getBoolean("ok")) {
      err.println("oxllm: reload rejected; the gateway keeps its running config:");
      r.getJsonArray("errors").forEach(e -> err.println("  " + e));
      return 1;
    }
    out.println(r.getBoolean("changed") ? "oxllm: config reloaded" : "oxllm: config unchanged");
    if (!r.getJsonArray("restart_required").isEmpty()) {
      out.println("oxllm: these changes need a restart: " + String.join(", ", r.getJsonArray("restart_required").getList()));
    }
    return 0;
  }

  private int stop(AdminClient client) throws AdminClient.NotRunning {
    AdminClient.Answer a = client.post("/admin/shutdown");
    if (a.status() != 202) {
      return refused(client, a);
    }
    out.println("oxllm: stopping the gateway at " + client.baseUrl() + " (in-flight requests drain first)");
    return 0;
  }

  private int refused(AdminClient client, AdminClient.Answer a) {
    JsonObject body = parse(a.body());
    Object error = body == null ? null : body.getValue("error");
    if (!(error instanceof JsonObject e) || !(e.getValue("message") instanceof String message)) {
      return notTheGateway(client, a);
    }
    // an OpenAI-shaped error may be another server's (--url at an upstream): say who answered
    err.println("oxllm: " + client.baseUrl() + " answered " + a.status() + ": " + message);
    return 1;
  }

  /** Something answered that is not the gateway (--url at another server): one line, not its page. */
  private int notTheGateway(AdminClient client, AdminClient.Answer a) {
    String type = a.contentType().isEmpty() ? "no Content-Type" : a.contentType();
    err.println("oxllm: " + client.baseUrl() + " answered " + a.status() + " with " + type + " (" + a.body().length()
        + " characters), not the gateway's admin API: is it the gateway's address?");
    return 1;
  }

  private static boolean hasArray(JsonObject o, String key) {
    return o != null && o.getValue(key) instanceof io.vertx.core.json.JsonArray;
  }

  private static JsonObject parse(String body) {
    try {
      return body == null || body.isBlank() ? null : new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  /** The reload answer's object, or null when the body is not the gateway's (no object there). */
  private static JsonObject reloadOf(JsonObject body) {
    Object r = body == null ? null : body.getValue("reload");
    return r instanceof JsonObject o && o.getValue("ok") instanceof Boolean
        && o.getValue("errors") instanceof io.vertx.core.json.JsonArray ? o : null;
  }
}
