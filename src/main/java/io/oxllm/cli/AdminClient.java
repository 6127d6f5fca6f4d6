package io.oxllm.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** Talks to a running gateway's admin API for the client commands (blocking: it is a CLI). */
final class AdminClient {
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)  // no h2c upgrade dance for a one-shot admin call
      .connectTimeout(Duration.ofSeconds(3)).build();
  private final String baseUrl;
  private final String token;

  /** Thrown when the gateway cannot be reached; the message is the one line to print. */
  static final class NotRunning extends Exception {
    NotRunning(String message) {
      super(message);
    }
  }

  /** An answer: status code, Content-Type ("" when none) and body text. */
  record Answer(int status, String contentType, String body) {}

  AdminClient(String baseUrl, String token) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.token = token;
  }

  String baseUrl() {
    return baseUrl;
  }

  Answer get(String path, String accept) throws NotRunning {
    return send(request(path).header("Accept", accept).GET().build());
  }

  Answer post(String path) throws NotRunning {
    return send(request(path).POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30));
    if (token != null && !token.isEmpty()) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private Answer send(HttpRequest request) throws NotRunning {
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    } catch (ConnectException e) {
      // a gateway draining for a stop refuses new connections too
      throw new NotRunning("oxllm: no gateway answers at " + baseUrl + " (connection refused: not running, or stopping)");
    } catch (HttpTimeoutException e) {
      throw new NotRunning("oxllm: the gateway at " + baseUrl + " did not answer in time");
    } catch (IOException e) {
      throw new NotRunning("oxllm: could not reach the gateway at " + baseUrl + ": "
          + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NotRunning("oxllm: interrupted");
    }
  }
}
