"""
The pipelines of the hello example: a chain, a fork and a wait, and one that fails.

``hello``:  prepare -> compile -> test -> (package | docs), then, after a wait, report.
The two fork children each start from the tested tree in an environment of their own:
package writes dist/, docs writes site/, and each fails if it can see the other's output.

Every step runs Python, so every chain starts from a Python image (the others continue
from their parent's state); the local runner ignores it and uses this machine's python3.
"""

import harmont as hm

#: What the steps need: python3, and sh for the && between commands.
PYTHON = "python:3.12-slim"


@hm.pipeline("hello", name="hello: compile, test, package and document")
def hello():
    prepare = hm.sh(
        "mkdir -p build && cp hello.py build/ && ls build", label="prepare", image=PYTHON
    )
    compiled = prepare.sh(
        "python3 -m py_compile build/hello.py && python3 -m compileall -q tests",
        label="compile",
    )
    tested = compiled.sh("python3 -m unittest discover -s tests -v", label="test")
    package = tested.sh(
        "test ! -e site && mkdir -p dist && tar -cf dist/hello.tar -C build hello.py"
        " && tar -tf dist/hello.tar",
        label="package",
    )
    docs = tested.sh(
        "test ! -e dist && mkdir -p site && python3 -m pydoc hello > site/hello.txt"
        " && head -n 3 site/hello.txt",
        label="docs",
    )
    report = hm.sh("python3 hello.py pipeline", label="report", image=PYTHON)
    return [package, docs, hm.wait(), report]


@hm.pipeline("hello-broken", name="hello, with a step that fails on purpose")
def hello_broken():
    prepare = hm.sh("python3 -m py_compile hello.py", label="prepare", image=PYTHON)
    broken = prepare.sh(
        "python3 -c 'import sys; sys.exit(\"this step fails on purpose\")'",
        label="fail on purpose",
    )
    never = hm.sh("echo this never runs", label="after the failure", image=PYTHON)
    return [broken, hm.wait(), never]
