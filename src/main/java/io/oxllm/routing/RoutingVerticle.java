package io.oxllm.routing;

import io.oxllm.config.ConfigLoader;
import io.oxllm.config.ConfigParser;
import io.oxllm.config.ConfigProblem;
import io.oxllm.config.ConfigResult;
import io.oxllm.config.GatewayConfig;
import io.oxllm.config.ReloadStatus;
import io.vertx.config.ConfigRetriever;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * The one routing verticle: the single writer of provider health and the config snapshot. Answers
 * {@link RouteQuery} on {@link #ROUTE}, hears {@link AttemptOutcome} on {@link #OUTCOME}, and
 * re-reads the config on a file change (vertx-config polling), on {@link #RELOAD} (SIGHUP,
 * {@code POST /reload}) and answers admin commands on {@link #ADMIN}. Thin: routing decisions are
 * in {@link RouteSelector}, admin answers in {@link AdminOps}.
 */
public final class RoutingVerticle extends VerticleBase {
  /** Request/reply address for route queries (local only). */
  public static final String ROUTE = "oxllm.route";
  /** Fire-and-forget address for attempt outcomes (local only). */
  public static final String OUTCOME = "oxllm.outcome";
  /** Request/reply: re-read the config now; the body is the trigger's name, the reply a status JSON. */
  public static final String RELOAD = "oxllm.reload";
  /** Request/reply: admin commands as JSON ({@code {"op":"status"}}, …). */
  public static final String ADMIN = "oxllm.admin";

  private static final System.Logger LOG = System.getLogger("oxllm.config");

  private final GatewayState state;
  private final ConfigSource source;
  private RouteSelector selector;
  private ConfigRetriever retriever;
  private ReloadStatus lastReload;
  // what the listener, the watcher and the telemetry queue were set up with: restart_required
  // compares a new config with it, not with the last reload's (which never took those parts)
  private GatewayConfig started;
  private String lastScanError;
  private long settleTimer = -1; // a file change waiting to be read again (settle)

  public RoutingVerticle(GatewayState state, ConfigSource source) {
    this.state = state;
    this.source = source;
  }

  @Override
  public Future<?> start() {
    started = state.config();
    RouteTable table = RouteTable.build(state.config());
    selector = new RouteSelector(table, System::currentTimeMillis);
    modelsForTelemetry(table);
    lastReload = ReloadStatus.startup(System.currentTimeMillis());
    state.publish(state.config(), selector.anyUsable());
    AdminOps admin = new AdminOps(state, source, () -> selector, () -> lastReload, state.telemetry());
    List<Future<?>> ready = new ArrayList<>();
    MessageConsumer<RouteAsk> route = vertx.eventBus().localConsumer(ROUTE, msg -> answer(msg.body()));
    MessageConsumer<AttemptOutcome> outcome = vertx.eventBus().localConsumer(OUTCOME, msg -> {
      selector.record(msg.body());
      state.publishReady(selector.anyUsable());
    });
    MessageConsumer<String> reload = vertx.eventBus().localConsumer(RELOAD,
        msg -> reloadNow(msg.body()).onComplete(ar -> msg.reply(AdminOps.reloadJson(ar.result()))));
    MessageConsumer<JsonObject> adminConsumer = vertx.eventBus().localConsumer(ADMIN, msg -> {
      JsonObject reply = admin.handle(msg.body());
      state.publishReady(selector.anyUsable());
      msg.reply(reply);
    });
    ready.add(route.completion());
    ready.add(outcome.completion());
    ready.add(reload.completion());
    ready.add(adminConsumer.completion());
    if (source.path() != null) {
      ready.add(watch());
    }
    // open periods and cooldowns end by the clock, not by a message: re-check readiness each second
    vertx.setPeriodic(1000, id -> state.publishReady(selector.anyUsable()));
    return Future.all(ready);
  }

  // The answer completes the asker's promise; a bug fails it (a 500 for that request) instead of
  // leaving the request waiting.
  private void answer(RouteAsk ask) {
    RouteAnswer answer;
    try {
      answer = selector.answer(ask.query());
    } catch (RuntimeException e) {
      ask.answer().fail(e);
      return;
    }
    ask.answer().complete(answer);
  }

  /** vertx-config polls the file every {@code config_scan_ms}; a change it can parse comes to {@link #apply}. */
  private Future<?> watch() {
    long scanMs = state.config().server().configScanMs();
    retriever = ConfigRetriever.create(vertx, ConfigLoader.retrieverOptions(source.path(), scanMs));
    retriever.listen(change -> settle(ConfigParser.parse(change.getNewConfiguration(), source.env()), scanMs));
    // A scan that cannot parse the file (say, half written) fails again every period: report it once.
    retriever.configStream().handler(json -> lastScanError = null).exceptionHandler(err -> {
      String message = "file: " + err.getMessage(); // the store reports what it can read as a problem: rare
      if (!message.equals(lastScanError)) {
        lastScanError = message;
        lastReload = ReloadStatus.rejected(System.currentTimeMillis(), "file change", List.of(message));
        LOG.log(Level.WARNING, "config file change rejected, still serving the running config: " + message);
      }
    });
    // prime the retriever with the file as it is now, so the first scan only fires on a real change
    return retriever.getConfig().recover(err -> Future.succeededFuture());
  }

  /**
   * Applies a change the watcher saw once the file still reads the same {@code scanMs} later: a
   * file written in two steps (a copy, an editor saving in place) can be valid half way, and was
   * applied so, a virtual model missing until the next scan (an audit). A change that comes
   * meanwhile starts the wait again; one that makes the file unreadable is the scan's to report.
   */
  private void settle(ConfigResult seen, long scanMs) {
    if (settleTimer != -1) {
      vertx.cancelTimer(settleTimer);
    }
    settleTimer = vertx.setTimer(scanMs, id -> {
      settleTimer = -1;
      ConfigLoader.load(vertx, source.path(), source.env()).onSuccess(now -> {
        if (now.equals(seen)) {
          apply(seen, "file change");
        }
      });
    });
  }

  private Future<ReloadStatus> reloadNow(String trigger) {
    if (source.path() == null) {
      ReloadStatus s = ReloadStatus.rejected(System.currentTimeMillis(), trigger,
          List.of("file: this gateway was started without a config file"));
      return Future.succeededFuture(s);
    }
    return ConfigLoader.load(vertx, source.path(), source.env()).compose(result -> apply(result, trigger));
  }

  /**
   * Validates and swaps in {@code result}; completes once the whole new config is in force, the
   * telemetry worker's part included, so a request sent after the answer sees all of it.
   */
  private Future<ReloadStatus> apply(ConfigResult read, String trigger) {
    long now = System.currentTimeMillis();
    ConfigResult result = read.ok() ? ConfigResult.valid(source.commandLine().apply(read.config())) : read;
    if (!result.ok()) {
      List<String> errors = result.problems().stream().map(ConfigProblem::toString).toList();
      lastReload = ReloadStatus.rejected(now, trigger, errors);
      LOG.log(Level.WARNING, "config reload (" + trigger + ") rejected, still serving the running config:\n  "
          + String.join("\n  ", errors));
      return Future.succeededFuture(lastReload);
    }
    GatewayConfig running = state.config();
    GatewayConfig next = result.config();
    // against what the gateway started with, changed now or not: a restart still pending stays listed
    List<String> restart = ReloadStatus.restartRequired(started, next);
    if (next.equals(running)) {
      ReloadStatus unchanged = new ReloadStatus(now, trigger, true, false, List.of(), restart);
      // a scan that finds what an explicit reload already applied is not news
      if (!trigger.equals("file change") || !lastReload.ok()) {
        lastReload = unchanged;
      }
      return Future.succeededFuture(unchanged);
    }
    RouteTable table = RouteTable.build(next);
    selector.swap(table);
    modelsForTelemetry(table);
    state.publish(next, selector.anyUsable());
    ReloadStatus applied = new ReloadStatus(now, trigger, true, true, List.of(), restart);
    lastReload = applied;
    LOG.log(Level.INFO, "config reloaded (" + trigger + ")"
        + (restart.isEmpty() ? "" : "; needs a restart to take effect: " + String.join(", ", restart)));
    if (state.telemetry() == null || next.telemetry().equals(running.telemetry())) {
      return Future.succeededFuture(applied);
    }
    return state.telemetry().reconfigure(next.telemetry()).map(v -> applied);
  }

  /** The metrics keep a label of its own for each model name the config serves (Telemetry#modelsConfigured). */
  private void modelsForTelemetry(RouteTable table) {
    if (state.telemetry() != null) {
      state.telemetry().modelsConfigured(table.modelNames());
    }
  }

  @Override
  public Future<?> stop() {
    if (settleTimer != -1) {
      vertx.cancelTimer(settleTimer);
    }
    return retriever == null ? Future.succeededFuture() : retriever.close();
  }
}
