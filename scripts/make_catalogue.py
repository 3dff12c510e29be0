"""Write losscli/_catalogue.json from the registry (run after adding or changing a loss).

python scripts/make_catalogue.py          # write it
python scripts/make_catalogue.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import json
import sys

from losscli.static_catalogue import PATH, build


def render() -> str:
    return json.dumps(build(), indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    current = PATH.read_text(encoding="utf-8") if PATH.exists() else ""
    if "--check" in argv:
        if current != text:
            print(f"{PATH} is out of date: run python scripts/make_catalogue.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        tmp = PATH.with_name(PATH.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(PATH)
    print(f"wrote {PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
