package io.oxllm.upstream;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * How much the gateway reads from an upstream before a slow client's pause takes hold. The relay
 * pauses the upstream response when the client's write queue is full, but Vert.x acts on that late:
 * the paused stream queues up to 16 more body messages before it pauses the connection, and the
 * socket read in progress goes on, which Netty makes up to 16 buffers of up to 64 KB. With a fast
 * upstream behind a full client socket that was ~1 MB held per stream (docs/performance-history.md,
 * "Slow readers"). Here each upstream connection reads one buffer per readiness event: an upstream
 * with more to give is read again on the next turn of the loop, so a fast one loses only the
 * batching, and a token stream, whose events are far smaller than a buffer, nothing at all.
 *
 * <p>A read is also at most one message ({@link #MAX_CHUNK} bytes, where Netty's sizing would grow
 * to 64 KB, eight messages). What a paused stream may still hold is then about 16 + 1 messages of
 * at most {@link #MAX_CHUNK} bytes and the client's write queue ({@code http.ClientWriteQueue}):
 * ~145 KB measured, against ~170 KB with 64 KB reads. Messages of 2 KB would hold less than half
 * of that, but cost large fast bodies ~30 % of their throughput (one socket write per message).
 *
 * <p>Vert.x has no option for reads per event, hence the connection's Netty channel, reached through
 * Vert.x's own {@code ConnectionBase} (the class every HTTP/1.x client connection is; the upstream
 * pools speak only HTTP/1.1). {@code UpstreamClientsTest} fails if a Vert.x upgrade moves it.
 */
final class UpstreamReads {
  /** Bytes in one body message from an upstream: Vert.x's default, set here because the bound uses it. */
  static final int MAX_CHUNK = 8192;
  /** Buffers read per readiness event (Netty's default is 16). */
  static final int READS_PER_EVENT = 1;

  private UpstreamReads() {}

  /** The connect handler of every upstream pool: one buffer per readiness event on this connection. */
  static void bound(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      // Netty's adaptive sizes (64 B up, from 2 KB), capped at one body message, one read per event
      base.channel().config().setRecvByteBufAllocator(
          new AdaptiveRecvByteBufAllocator(64, 2048, MAX_CHUNK).maxMessagesPerRead(READS_PER_EVENT));
    }
  }
}
