"""Loading `formats.yaml` into a frozen, validated Deck; every error names the file and key."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..engine.deck import FORMATS_PER_LIST, QUESTION_COUNT, Deck
from .resources import resource


class FormatsError(ValueError):
    """The formats file is missing, unreadable or does not have the expected shape."""

    def __init__(self, path: Path, key: str, problem: str):
        super().__init__(f"{path}: {key}: {problem}")
        self.path, self.key, self.problem = path, key, problem


def default_formats_path() -> Path:
    return resource("formats.yaml")


def load_deck(path: Path | str | None = None) -> Deck:
    """Read and validate a formats file (the deck's own by default)."""
    path = Path(path) if path is not None else default_formats_path()
    try:
        data = safe_load(path.read_text(encoding="utf-8"), path)
    except OSError as error:
        raise FormatsError(path, "(file)", f"cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise FormatsError(path, "(file)", "is not UTF-8 text") from None
    except yaml.YAMLError as error:
        raise FormatsError(path, "(file)", f"is not valid YAML: {error}") from None
    return parse_deck(data, path)


def safe_load(text: str, path: Path) -> object:
    """`yaml.safe_load`, except that a value YAML reads but Python cannot build (an integer past
    Python's 4,300-digit limit, a date that does not exist, `!!int abc`) is a FormatsError
    naming its key, where PyYAML would raise a bare ValueError from deep inside."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_values(loader, node, "", path)
        return loader.construct_document(node)  # reuses each value built by the check
    finally:
        loader.dispose()


def _check_values(loader: yaml.SafeLoader, node: yaml.Node, key: str, path: Path) -> None:
    if isinstance(node, yaml.ScalarNode):
        try:
            loader.construct_object(node)
        except (ValueError, OverflowError) as error:
            problem = "cannot be read as a value: put it in quotes to keep it as text"
            raise FormatsError(path, key or "(top level)", problem) from error
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_values(loader, item, f"{key}[{i}]", path)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            _check_values(loader, key_node, key, path)  # a bad key is the mapping's problem
            name = key_node.value[:40] if isinstance(key_node, yaml.ScalarNode) else "?"
            _check_values(loader, value, f"{key}.{name}" if key else name, path)


def parse_deck(data: object, path: Path) -> Deck:
    """Validate already-parsed YAML data; `path` is only used in error messages."""
    if not isinstance(data, dict):
        raise FormatsError(path, "(top level)", "must be a mapping with 'questions' and 'formats'")
    unknown = sorted(set(map(str, data)) - {"title", "instructions", "questions", "formats"})
    if unknown:
        raise FormatsError(path, unknown[0], "is not a known key (title, instructions, questions, formats)")
    title = _optional_text(data, "title", path, "Unconventional sci-comm")
    instructions = _optional_text(data, "instructions", path, "")
    questions = _texts(data.get("questions"), "questions", path)
    if len(questions) != QUESTION_COUNT:
        raise FormatsError(path, "questions", f"needs exactly {QUESTION_COUNT} questions, found {len(questions)}")
    return Deck(title=title, instructions=instructions, questions=questions, lists=_lists(data.get("formats"), path))


def _lists(formats: object, path: Path) -> tuple[tuple[str, ...], ...]:
    if not isinstance(formats, dict) or not formats:
        raise FormatsError(path, "formats", "must map group numbers 1, 2, ... to lists of formats")
    if not all(isinstance(k, int) and not isinstance(k, bool) for k in formats):
        bad = next(k for k in formats if not isinstance(k, int) or isinstance(k, bool))
        raise FormatsError(path, f"formats.{bad}", "must be a whole number (1, 2, ...)")
    expected = list(range(1, len(formats) + 1))
    if sorted(formats) != expected:
        raise FormatsError(path, "formats", f"numbers must run 1..{len(formats)} with no gap, "
                                            f"found {sorted(formats)}")
    lists = []
    for number in expected:
        key = f"formats.{number}"
        options = _texts(formats[number], key, path)
        if len(options) != FORMATS_PER_LIST:
            raise FormatsError(path, key, f"needs exactly {FORMATS_PER_LIST} formats, found {len(options)}")
        lists.append(options)
    return tuple(lists)


def _texts(value: object, key: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise FormatsError(path, key, "must be a list of texts")
    texts = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise FormatsError(path, f"{key}[{i}]", "must be a non-empty text")
        texts.append(item.strip())
    return tuple(texts)


def _optional_text(data: dict, key: str, path: Path, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise FormatsError(path, key, "must be a text")
    return value.strip()
