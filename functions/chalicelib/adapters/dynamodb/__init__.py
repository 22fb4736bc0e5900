"""DynamoDB adapters of the budget, job and directory ports."""
