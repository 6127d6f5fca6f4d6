package io.oxllm.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.List;

/**
 * Vert.x's request decoder, except that a {@code Content-Length} sent beside
 * {@code Transfer-Encoding: chunked} stays on the request. Netty frames such a request by its
 * chunks and drops the length, so the gateway saw an ordinary chunked request and kept the
 * connection; RFC 9112 section 6.1 says to close it after answering, since a proxy in front may
 * have framed the body by the length and sent what follows as a request of its own. With the
 * length kept, {@code HttpVerticle} refuses it with the other ambiguous framings (400, closed).
 * Framing is unchanged: the chunks still frame the body.
 *
 * <p>It also reads a later HTTP/1 minor version as 1.1 ({@link #createMessage}), and it reads
 * pipelined requests no further ahead than the one being answered and the next
 * ({@link #READ_AHEAD}): Vert.x reads on until it sees a request it cannot start yet, then keeps
 * every request decoded from that read in a queue, about 0.5 KB of heap for each 35-byte
 * {@code GET /healthz}. A client that sent 256 KB of those behind one slow request held ~2.5 MB
 * a connection, and 250 such connections ended the gateway (OutOfMemoryError with the shipped
 * 256 MB heap). Undecoded, the bytes wait in the decoder's buffer and the kernel's.
 */
final class FramingDecoder extends VertxHttpRequestDecoder {
  private static final String NAME = "httpDecoder"; // Vert.x's name for it (HttpServerConnectionInitializer)
  /** Requests decoded and not yet answered: the one being answered and the one Vert.x queues behind it. */
  static final int READ_AHEAD = 2;

  private ChannelHandlerContext ctx;
  private int unanswered;
  private boolean inRequest; // between a request's head and its end
  private boolean stopped; // a next request waits undecoded until an answer ends
  private boolean stoppedReads; // this decoder turned the channel's reads off (Vert.x had them on)
  private String unsupportedVersion; // the version the request being decoded named, when not HTTP/1

  FramingDecoder(HttpServerOptions options) {
    super(options);
  }

  /**
   * The server's connection handler, before the connection has read anything: puts this decoder
   * in place of Vert.x's. A pipeline that has none under that name (Vert.x changed) is left as it
   * is, and null returned.
   */
  static FramingDecoder install(HttpConnection connection, HttpServerOptions options) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(NAME) instanceof VertxHttpRequestDecoder) {
        FramingDecoder decoder = new FramingDecoder(options);
        pipeline.replace(NAME, NAME, decoder);
        return decoder;
      }
    }
    return null;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    super.handlerAdded(ctx);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    if (!inRequest && unanswered >= READ_AHEAD) {
      stop();
      return; // the bytes stay in the buffer, undecoded
    }
    int from = out.size();
    super.decode(ctx, in, out);
    for (int i = from; i < out.size(); i++) {
      Object message = out.get(i);
      if (message instanceof HttpRequest request) {
        unanswered++;
        inRequest = true;
        if (unsupportedVersion != null) {
          // seen by createMessage; Netty sets the result once the head is read, so it is failed here
          if (request.decoderResult().isSuccess()) {
            request.setDecoderResult(DecoderResult.failure(new VersionNotSupported(unsupportedVersion)));
          }
          unsupportedVersion = null;
        }
      }
      if (message instanceof LastHttpContent) {
        inRequest = false;
      }
    }
  }

  private void stop() {
    stopped = true;
    ChannelConfig config = ctx.channel().config();
    if (config.isAutoRead()) { // Vert.x turns reads on again only after turning them off itself
      config.setAutoRead(false);
      stoppedReads = true;
    }
  }

  /**
   * Netty's decoder asks for one more read when a read decoded nothing while reads are off (the
   * rest of a message half read would be in it); while stopped on purpose that would read on
   * without end, into the buffer.
   */
  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    if (stopped) {
      discardSomeReadBytes();
      ctx.fireChannelReadComplete();
      return;
    }
    super.channelReadComplete(ctx);
  }

  /**
   * The answer to a decoded request has ended ({@code ClientConnections}). Decoding goes on, if it
   * stopped, in a task of its own: this is called from inside Vert.x's end of the answer, which
   * may itself be inside this decoder's hand-over of a request.
   */
  void answered() {
    unanswered--;
    if (stopped && unanswered < READ_AHEAD) {
      ctx.executor().execute(this::resume);
    }
  }

  private void resume() {
    if (!stopped || ctx.isRemoved()) {
      return;
    }
    stopped = false;
    if (stoppedReads) {
      stoppedReads = false;
      ctx.channel().config().setAutoRead(true);
    }
    try {
      channelRead(ctx, Unpooled.EMPTY_BUFFER); // decodes what waits in the buffer
      channelReadComplete(ctx);
    } catch (Exception e) {
      ctx.fireExceptionCaught(e);
    }
  }

  /**
   * A request line naming a later HTTP/1 minor version (HTTP/1.2) is read as HTTP/1.1, as RFC 9110
   * section 2.5 says a recipient should; Vert.x answered it with an empty 501 and closed. Another
   * major version (HTTP/2's prior-knowledge preface, {@code PRI * HTTP/2.0}) is an invalid
   * request, answered in HTTP/1.1 with the JSON 505 (Vert.x's empty 501 said {@code HTTP/2.0}).
   */
  @Override
  protected HttpMessage createMessage(String[] initialLine) {
    HttpMessage message = super.createMessage(initialLine);
    HttpVersion version = message.protocolVersion();
    if (version.majorVersion() == 1 && version.minorVersion() > 1) {
      message.setProtocolVersion(HttpVersion.HTTP_1_1);
    } else if (version.majorVersion() != 1) {
      message.setProtocolVersion(HttpVersion.HTTP_1_1);
      unsupportedVersion = version.text();
    }
    return message;
  }

  /** A request in an HTTP version the gateway does not speak (its text, as sent). */
  static final class VersionNotSupported extends IllegalArgumentException {
    VersionNotSupported(String version) {
      super(version);
    }
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    String length = message.headers().get(HttpHeaderNames.CONTENT_LENGTH);
    super.handleTransferEncodingChunkedWithContentLength(message); // frames by the chunks
    if (length != null) {
      message.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
    }
  }
}
