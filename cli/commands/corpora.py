"""`textrnn corpora list`: the corpora that come with textrnn."""

from __future__ import annotations

import typer

from .. import options as opt
from ..output import Output

app = typer.Typer(help="The corpora bundled with textrnn.", no_args_is_help=True)


@app.command("list")
def list_(as_json: opt.Json = False) -> None:
    """List the bundled corpora: name, task, size and description.

    Example: textrnn corpora list
    """
    from textrnn.corpora import list_corpora

    out = Output(as_json)
    rows = [{"name": c.name, "task": c.task, "examples": c.examples, "bytes": c.bytes, "path": str(c.files[0].parent),
             "description": c.description} for c in list_corpora()]
    if out.as_json:
        for row in rows:
            out.json(row)
    elif not out.rich:
        for r in rows:
            out.line(f"{r['name']}\t{r['task']}\t{r['examples']}\t{r['bytes']}\t{r['description']}")
    else:
        from rich.table import Table

        table = Table(title="Bundled corpora")
        for col, kw in [("name", {"style": "bold"}), ("task", {}), ("examples", {"justify": "right"}),
                        ("size", {"justify": "right"}), ("description", {})]:
            table.add_column(col, **kw)
        for r in rows:
            table.add_row(r["name"], r["task"], f"{r['examples']:,}", f"{r['bytes'] / 1024:.0f} KB", r["description"])
        out.print(table)
