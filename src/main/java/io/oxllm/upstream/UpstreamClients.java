package io.oxllm.upstream;

import io.oxllm.config.ProviderConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.PoolOptions;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One connection pool per provider, owned by one HTTP verticle instance (so connections live on
 * that instance's event loop and both legs of a proxied request share one thread). Only that
 * verticle's event loop touches it, so it needs no locks.
 *
 * <p>{@code max_connections} is the provider's total across the gateway: each of the N instances
 * gets {@code ceil(max_connections / N)}. The wait queue is bounded (4 × the pool) so overload
 * becomes a fast, fail-over-able error instead of unbounded queuing.
 */
public final class UpstreamClients {
  private static final System.Logger LOG = System.getLogger("oxllm.upstream");
  private final Vertx vertx;
  private final int instances;
  private final Map<String, Entry> clients = new HashMap<>();

  private record Entry(ProviderConfig config, HttpClient client) {}

  public UpstreamClients(Vertx vertx, int instances) {
    this.vertx = vertx;
    this.instances = Math.max(1, instances);
  }

  /** The client for this provider; a provider whose config changed on reload gets a fresh pool. */
  public HttpClient client(ProviderConfig provider) {
    Entry e = clients.get(provider.name());
    // identity first: within one snapshot the same record comes back on every request
    if (e != null && (e.config() == provider || e.config().equals(provider))) {
      return e.client();
    }
    if (e != null) {
      // in-flight requests on the old pool finish; it refuses new ones and closes when idle
      e.client().shutdown(60, TimeUnit.SECONDS);
    }
    HttpClient client = create(provider);
    clients.put(provider.name(), new Entry(provider, client));
    return client;
  }

  /** The largest response head (status line excluded) read from an upstream. */
  public static final int MAX_HEAD_BYTES = 64 * 1024;

  private HttpClient create(ProviderConfig p) {
    int poolSize = Math.max(1, (p.maxConnections() + instances - 1) / instances);
    HttpClientOptions options = new HttpClientOptions()
        .setSsl(p.baseUrl().ssl())
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, p.timeouts().connectMs()))
        // the handshake is part of connecting: Vert.x's own 10 s ran past connect_ms, so the pool's
        // timer fired first, "no pooled connection free", and a hung TLS server never opened its circuit
        .setSslHandshakeTimeout(p.timeouts().connectMs())
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
        .setKeepAlive(true)
        // below typical provider / load-balancer idle cut-offs, so a pooled connection is not reset under us
        .setKeepAliveTimeout(30)
        .setDecompressionSupported(false)
        .setTcpNoDelay(true)
        // a bound, not a buffer (Netty grows its header text as it reads): 8 KB, the default, failed
        // providers that send long rate-limit, tracing or cookie headers
        .setMaxHeaderSize(MAX_HEAD_BYTES)
        .setMaxChunkSize(UpstreamReads.MAX_CHUNK); // what a stream paused for a slow client holds: UpstreamReads
    PoolOptions pool = new PoolOptions()
        .setHttp1MaxSize(poolSize)
        .setMaxWaitQueueSize(poolSize * 4);
    return vertx.httpClientBuilder().with(options).with(pool).withConnectHandler(UpstreamClients::connected).build();
  }

  /**
   * The connect handler of every upstream pool: reads bounded ({@link UpstreamReads}), and the
   * connection's own errors left to the attempt on it. Without a handler Vert.x logs each one as
   * SEVERE, one line per upstream reset, though the attempt has it too and reports it (its span,
   * the request log, the client's error); an idle pooled connection that fails is evicted anyway.
   */
  private static void connected(HttpConnection connection) {
    UpstreamReads.bound(connection);
    connection.exceptionHandler(err -> LOG.log(Level.DEBUG, "upstream connection error: {0}", err.getMessage()));
  }

  /** Closes every pool (verticle stop). */
  public void closeAll() {
    clients.values().forEach(e -> e.client().close());
    clients.clear();
  }
}
