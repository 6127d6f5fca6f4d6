module oxllm/bench-sink

go 1.21
