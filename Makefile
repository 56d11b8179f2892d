# The two entry points. Both set up everything they need on a fresh machine (see scripts/toolchain.sh).
.PHONY: demo test lab-down

demo:
	@scripts/toolchain.sh pnpm demo

test:
	@scripts/toolchain.sh pnpm test

lab-down:
	@scripts/toolchain.sh pnpm lab down
