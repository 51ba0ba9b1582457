"""BoundedOutput keeps the head and the tail within its limit, whatever is written."""

from queuectl_core.output import BoundedOutput


def test_small_output_is_kept_whole() -> None:
    out = BoundedOutput(100)
    out.write(b"hello ")
    out.write(b"world\n")
    assert out.text() == "hello world\n"
    assert out.dropped == 0


def test_large_output_keeps_head_and_tail_with_marker() -> None:
    out = BoundedOutput(1000)
    out.write(b"HEAD" + b"x" * 10_000)
    for _ in range(100):
        out.write(b"y" * 977)
    out.write(b"TAIL")
    text = out.text()
    assert text.startswith("HEAD")
    assert text.endswith("TAIL")
    assert "bytes truncated by queuectl" in text
    assert out.total == 4 + 10_000 + 97_700 + 4
    assert out.dropped == out.total - 1000
    kept = text.encode().replace(text[500 : text.index("]") + 2].encode(), b"")
    assert len(kept) <= 1000 + 2


def test_invalid_utf8_is_replaced_not_raised() -> None:
    out = BoundedOutput(100)
    out.write(b"ok \xff\xfe done")
    assert out.text() == "ok \ufffd\ufffd done"


def test_many_tiny_writes_stay_bounded() -> None:
    out = BoundedOutput(64)
    for i in range(10_000):
        out.write(str(i % 10).encode())
    assert out.dropped == 10_000 - 64
    assert out.text().endswith("0123456789"[-((10_000 - 1) % 10 + 1) :][-4:])
