"""Deploying the platform to a public network: network files (network_file), the plan of
CREATE2 deployments and a test market (plan), the address-book checks (checks), running
it resumably (run), the deployment file and explorer input (record), and a public
network's address book with its tokens discovered on chain (book)."""
