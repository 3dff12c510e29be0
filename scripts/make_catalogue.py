"""Write losscli/_catalogue.json and the README's loss tables from the registry (run after
adding or changing a loss).

python scripts/make_catalogue.py          # write both
python scripts/make_catalogue.py --check  # exit 1 if either is out of date
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from losscli.static_catalogue import PATH, build

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- catalogue:start -->", "<!-- catalogue:end -->"


def render() -> str:
    return json.dumps(build(), indent=1, ensure_ascii=False) + "\n"


def render_readme() -> str:
    """The README with its catalogue block replaced by the registry's tables."""
    from losscli.catalogue import markdown_table
    from losscli.registry import REGISTRY

    text = README.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    builtins = [i for i in REGISTRY.all() if i.origin == "built-in"]
    return f"{head}{START}\n{markdown_table(builtins)}\n{END}{tail}"


def main(argv: list[str]) -> int:
    wanted = {PATH: render(), README: render_readme()}
    stale = [p for p, text in wanted.items() if not p.exists() or p.read_text("utf-8") != text]
    if "--check" in argv:
        for path in stale:
            print(f"{path} is out of date: run python scripts/make_catalogue.py", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(wanted[path], encoding="utf-8")
        tmp.replace(path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
