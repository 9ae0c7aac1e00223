"""What every vendor backend shares: resilient HTTP, credentials, the local ledger, shadow mode, configuration."""
