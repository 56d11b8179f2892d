# The two entry points. Both set up everything they need on a fresh machine (see scripts/toolchain.sh).
.PHONY: demo test lab-down

demo:
	@scripts/toolchain.sh pnpm demo

test:
	@scripts/toolchain.sh pnpm test

# The demo's lab (its own sandbox, see test/demo/demo.sh), then the stand-in lab of `pnpm lab up` and e2e runs.
lab-down:
	@scripts/toolchain.sh test/demo/demo.sh down
	@scripts/toolchain.sh pnpm lab down
