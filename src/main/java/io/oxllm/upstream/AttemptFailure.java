package io.oxllm.upstream;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/**
 * Why an attempt failed before response headers, as one short human-readable phrase, and whether
 * the provider was at fault: waiting for one of our own pooled connections is not (SPEC section
 * 4 counts failures of the provider; a full pool opened a healthy provider's circuit).
 */
public final class AttemptFailure extends Exception {
  private final boolean providersFault;

  public AttemptFailure(String reason) {
    this(reason, true);
  }

  private AttemptFailure(String reason, boolean providersFault) {
    super(reason, null, false, false);
    this.providersFault = providersFault;
  }

  /** False when the attempt never reached the provider because our own pool had no connection for it. */
  public boolean providersFault() {
    return providersFault;
  }

  /** Classifies a transport error; an abort reason (a timeout we fired) wins over its side effects. */
  static AttemptFailure of(Throwable err, String abortReason) {
    if (err instanceof AttemptFailure f) {
      return f;
    }
    if (abortReason != null) {
      return new AttemptFailure(abortReason);
    }
    return new AttemptFailure(describe(err), !poolWait(err));
  }

  /** Vert.x's pool refused to queue the request, or it waited there past connect_ms. */
  private static boolean poolWait(Throwable err) {
    return err instanceof ConnectionPoolTooBusyException
        || (err instanceof TimeoutException && String.valueOf(err.getMessage()).contains("getting a connection"));
  }

  /** A short phrase for a transport error. */
  public static String describe(Throwable err) {
    if (err instanceof ConnectException || err.getCause() instanceof ConnectException) {
      String msg = String.valueOf(err.getMessage());
      // Netty's native message is "finishConnect(..) failed with error(-111): Connection refused: /h:p"
      return msg.contains("Connection refused") ? "connection refused" : "connect error: " + msg;
    }
    if (err instanceof ConnectionPoolTooBusyException) {
      return "connection pool full";
    }
    if (err instanceof TooLongHttpHeaderException) {
      return "response head over " + UpstreamClients.MAX_HEAD_BYTES / 1024 + " KB";
    }
    if (err instanceof TimeoutException) {
      String msg = String.valueOf(err.getMessage());
      // Vert.x: "The timeout of 500 ms has been exceeded when getting a connection to host:port"
      return msg.contains("getting a connection") ? "no pooled connection free within connect_ms: " + msg
          : "connect timeout: " + msg;
    }
    String msg = err.getMessage();
    String name = err.getClass().getSimpleName();
    if (msg == null || msg.isEmpty()) {
      return name;
    }
    if (msg.toLowerCase(java.util.Locale.ROOT).contains("closed")) {
      return "connection reset: " + msg;
    }
    return name + ": " + msg;
  }
}
