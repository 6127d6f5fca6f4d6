package io.oxllm.config;

/** One validation problem: where ({@code providers[2].base_url}) and what. */
public record ConfigProblem(String path, String message) {
  @Override
  public String toString() {
    return path + ": " + message;
  }
}
