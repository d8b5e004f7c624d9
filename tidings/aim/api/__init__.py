"""The smart-message product's HTTP routers, one module per area."""
