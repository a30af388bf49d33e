"""Partner adapters and the HTTP gateway that publish signals to Kafka."""
