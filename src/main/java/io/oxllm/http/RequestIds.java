package io.oxllm.http;

import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.ThreadLocalRandom;

/** The request id: the client's {@code x-request-id} when it is safe to echo and log, else a new one. */
final class RequestIds {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private RequestIds() {}

  static RequestId accept(String fromClient) {
    return isValid(fromClient) ? RequestId.fromClient(fromClient) : generate();
  }

  /** {@code req}'s id ({@link #accept}ed from its {@code x-request-id}), set on its response. */
  static RequestId assign(HttpServerRequest req) {
    RequestId id = accept(req.getHeader(HeaderRules.X_REQUEST_ID));
    req.response().putHeader(HeaderRules.X_REQUEST_ID, id.text());
    return id;
  }

  /** {@code [A-Za-z0-9._:-]{1,128}}, checked without a regex. */
  static boolean isValid(String id) {
    if (id == null || id.isEmpty() || id.length() > 128) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == ':' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** 32 random hex characters (128 bits): unique enough to find one request in a log. */
  static RequestId generate() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    char[] out = new char[32];
    long a = r.nextLong();
    long b = r.nextLong();
    for (int i = 0; i < 16; i++) {
      out[i] = HEX[(int) (a >>> (60 - 4 * i)) & 0xF];
      out[16 + i] = HEX[(int) (b >>> (60 - 4 * i)) & 0xF];
    }
    return new RequestId(new String(out), a, b);
  }
}
