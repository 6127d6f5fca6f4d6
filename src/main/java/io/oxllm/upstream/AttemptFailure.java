package io.oxllm.upstream;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/** Why an attempt failed before response headers, as one short human-readable phrase. */
public final class AttemptFailure extends Exception {

  public AttemptFailure(String reason) {
    super(reason, null, false, false);
  }

  /** Classifies a transport error; an abort reason (a timeout we fired) wins over its side effects. */
  static AttemptFailure of(Throwable err, String abortReason) {
    if (err instanceof AttemptFailure f) {
      return f;
    }
    if (abortReason != null) {
      return new AttemptFailure(abortReason);
    }
    return new AttemptFailure(describe(err));
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
      return "connect timeout: " + err.getMessage();
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
