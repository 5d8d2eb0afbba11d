"""What the contract tests (tests/test_contract.py) run beside the suite: schemathesis's
configuration and exclusions, and a script driving a client generated from the schema."""
