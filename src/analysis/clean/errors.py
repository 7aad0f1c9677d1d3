"""The one exception cleaning raises for input it cannot trust."""

from __future__ import annotations

from analysis.clean.safe import scrub


class DataInputError(ValueError):
    """A raw file cannot be trusted. The message names the file, the column and the row.

    ``row`` counts data rows from 1 (the first row after the header); 0 means the
    header itself or the whole file.
    """

    def __init__(self, file: str, column: str, row: int, problem: str):
        self.file, self.column, self.row, self.problem = str(file), column, row, problem
        where = "header" if row == 0 else f"row {row}"
        if column in ("", "-"):  # about the whole file (or folder), not one of its columns
            where = "" if row == 0 else f"{where}: "
            super().__init__(scrub(f"{self.file}: {where}{problem}"))
        else:
            super().__init__(scrub(f"{self.file}: column '{column}', {where}: {problem}"))
