package io.oxllm.http;

import java.util.List;

/** What an answer said about itself, for telemetry: read at the end of a request. */
interface ResponseFacts {
  /** Prompt tokens the answer reported, or -1. */
  long inputTokens();

  /** Completion tokens the answer reported, or -1. */
  long outputTokens();

  /** The model the answer names, or null. */
  String responseModel();

  List<String> finishReasons();

  /** System.nanoTime() of a stream's first token, or 0. */
  long firstTokenNanos();

  /** Bytes written to the client. */
  long bytesOut();
}
