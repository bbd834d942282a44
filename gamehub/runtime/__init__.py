"""The serving process: green threads, the heap, sockets and their time limits, the serve lock."""
