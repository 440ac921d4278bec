"""quyche-rules: the coordination duties of a provincial Quy chế phối hợp công tác, executable."""
