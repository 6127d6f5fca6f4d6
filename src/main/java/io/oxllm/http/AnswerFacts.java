package io.oxllm.http;

import io.oxllm.sse.SseScanner;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * What an answer said about itself, read from its bytes as they pass, for telemetry: tokens,
 * model, finish reasons, first token, bytes written. A stream is read by an {@link SseScanner}
 * (which the stream relay also drives for the commit point and usage stripping); a JSON body by a
 * {@link JsonUsageTap}. Only the one the answer needs is allocated.
 */
final class AnswerFacts {
  private final SseScanner scanner;
  private final JsonUsageTap tap;
  private long bytesOut;
  private long firstTokenNanos; // a JSON answer's, when it went out as a stream

  private AnswerFacts(SseScanner scanner, JsonUsageTap tap) {
    this.scanner = scanner;
    this.tap = tap;
  }

  static AnswerFacts stream() {
    return new AnswerFacts(new SseScanner(), null);
  }

  static AnswerFacts json() {
    return new AnswerFacts(null, new JsonUsageTap());
  }

  /** The stream's scanner (null for a JSON answer): feed it every chunk, in order. */
  SseScanner scanner() {
    return scanner;
  }

  /** A chunk of a JSON answer. */
  void feedJson(Buffer chunk) {
    tap.feed(chunk);
  }

  /** The JSON answer is complete. */
  void endJson() {
    tap.finish();
  }

  void addBytesOut(long n) {
    bytesOut += n;
  }

  /** Bytes written to the client. */
  long bytesOut() {
    return bytesOut;
  }

  /** Prompt tokens the answer reported, or -1. */
  long inputTokens() {
    return scanner != null ? scanner.inputTokens() : tap.inputTokens();
  }

  /** Completion tokens the answer reported, or -1. */
  long outputTokens() {
    return scanner != null ? scanner.outputTokens() : tap.outputTokens();
  }

  /** The model the answer names, or null. */
  String responseModel() {
    return scanner != null ? scanner.responseModel() : tap.model();
  }

  List<String> finishReasons() {
    return scanner != null ? scanner.finishReasons() : tap.finishReasons();
  }

  /** A JSON answer carrying a token went out, converted, as the stream the client asked for. */
  void firstTokenAt(long nanos) {
    firstTokenNanos = nanos;
  }

  /** System.nanoTime() of a stream's first token, or 0. */
  long firstTokenNanos() {
    if (scanner == null) {
      return firstTokenNanos;
    }
    return scanner.sawFirstToken() ? scanner.firstTokenNanos() : 0;
  }
}
