package io.oxllm.http;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Vert.x's request decoder, except that a {@code Content-Length} sent beside
 * {@code Transfer-Encoding: chunked} stays on the request. Netty frames such a request by its
 * chunks and drops the length, so the gateway saw an ordinary chunked request and kept the
 * connection; RFC 9112 section 6.1 says to close it after answering, since a proxy in front may
 * have framed the body by the length and sent what follows as a request of its own. With the
 * length kept, {@code HttpVerticle} refuses it with the other ambiguous framings (400, closed).
 * Framing is unchanged: the chunks still frame the body.
 *
 * <p>It also reads a later HTTP/1 minor version as 1.1 ({@link #createMessage}).
 */
final class FramingDecoder extends VertxHttpRequestDecoder {
  private static final String NAME = "httpDecoder"; // Vert.x's name for it (HttpServerConnectionInitializer)

  private FramingDecoder(HttpServerOptions options) {
    super(options);
  }

  /**
   * The server's connection handler, before the connection has read anything: puts this decoder
   * in place of Vert.x's. A pipeline that has none under that name (Vert.x changed) is left as it is.
   */
  static void install(HttpConnection connection, HttpServerOptions options) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(NAME) instanceof VertxHttpRequestDecoder) {
        pipeline.replace(NAME, NAME, new FramingDecoder(options));
      }
    }
  }

  /**
   * A request line naming a later HTTP/1 minor version (HTTP/1.2) is read as HTTP/1.1, as RFC 9110
   * section 2.5 says a recipient should; Vert.x answered it with an empty 501 and closed.
   */
  @Override
  protected HttpMessage createMessage(String[] initialLine) {
    HttpMessage message = super.createMessage(initialLine);
    HttpVersion version = message.protocolVersion();
    if (version.majorVersion() == 1 && version.minorVersion() > 1) {
      message.setProtocolVersion(HttpVersion.HTTP_1_1);
    }
    return message;
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
