module oxllm/bench-sse

go 1.21
