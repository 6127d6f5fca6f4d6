package io.oxllm.http;

import io.oxllm.config.ServerConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The request bodies held in memory at once, all HTTP instances together, against
 * {@code server.body_memory_bytes}. {@code max_body_bytes} bounds one body; without this, 20
 * concurrent 9.5 MB uploads ended a 256 MB heap (a failover sends the body again, so it is held
 * until the answer ends). A body is counted from its head, by its {@code Content-Length} (a
 * chunked one as {@code max_body_bytes} until it has all come), so it is refused before it is
 * read: 503 {@code server_busy}, which clients retry. A request with a body costs one
 * compare-and-set, and one add at its end.
 */
public final class BodyBudget {
  private final AtomicLong held = new AtomicLong();

  /** One per gateway, shared by its HTTP verticle instances. */
  public BodyBudget() {
  }

  /**
   * Counts {@code bytes} in, unless that would pass {@code limit}; a body is admitted whatever its
   * size when none is held, so that any body {@code max_body_bytes} allows can go through.
   */
  boolean tryHold(long bytes, long limit) {
    return tryGrow(0, bytes, limit);
  }

  /**
   * Counts {@code more} bytes in for a holder that already counts {@code mine} (0: a new one),
   * unless that would pass {@code limit}; admitted whatever its size when the holder's are all
   * that is counted, as a lone body is.
   */
  boolean tryGrow(long mine, long more, long limit) {
    long now;
    do {
      now = held.get();
      if (now != mine && now + more > limit) {
        return false;
      }
    } while (!held.compareAndSet(now, now + more));
    return true;
  }

  /** Counts {@code bytes} out. */
  void release(long bytes) {
    held.addAndGet(-bytes);
  }

  /** The bytes counted in now. */
  public long held() {
    return held.get();
  }

  /** {@code server.body_memory_bytes}, or half the heap the JVM may grow to when it is 0. */
  public static long limit(ServerConfig server) {
    return server.bodyMemoryBytes() > 0 ? server.bodyMemoryBytes() : Runtime.getRuntime().maxMemory() / 2;
  }

  /**
   * What the body of {@code req} is counted as from its head: its {@code Content-Length}, or
   * {@code maxBody} for a chunked one (it may grow that far). 0 for none, and for one over
   * {@code maxBody}, refused with 413 unread.
   */
  static long countedBytes(HttpServerRequest req, long maxBody) {
    String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      try {
        long n = Long.parseLong(length.trim());
        return n <= maxBody ? n : 0;
      } catch (NumberFormatException e) {
        return maxBody; // Netty's decoder refuses such a request first; counted as the most it can be
      }
    }
    return req.headers().contains(HttpHeaders.TRANSFER_ENCODING) ? maxBody : 0;
  }
}
