"""Generate examples/customers.csv: a small, messy table for the command-line walk-through.

Churn of 1,000 made-up customers: numbers with gaps, a text column with gaps, a yes/no
target that depends on them non-linearly. Run ``python examples/make_customers.py`` to
rebuild the file (it is deterministic).
"""

from pathlib import Path

import numpy as np
import pandas as pd


def make(n: int = 1000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = rng.gamma(2.0, 12.0, n).round(1)  # months
    monthly = rng.normal(60, 20, n).clip(10, 150).round(2)
    tickets = rng.poisson(1.5, n)
    plan = rng.choice(["basic", "standard", "premium"], n, p=[0.5, 0.35, 0.15])
    region = rng.choice(["north", "south", "east", "west"], n)
    risk = (
        1.8 * (tenure < 6)
        - 0.04 * tenure
        + 0.03 * (monthly - 60)
        + 0.5 * tickets
        - 1.0 * (plan == "premium")
        + 0.8 * ((plan == "basic") & (monthly > 70))
    )
    churn = rng.random(n) < 1 / (1 + np.exp(-(risk - 0.8)))
    frame = pd.DataFrame(
        {
            "tenure_months": tenure,
            "monthly_fee": monthly,
            "support_tickets": tickets,
            "plan": plan,
            "region": region,
            "churn": np.where(churn, "yes", "no"),
        }
    )
    frame.loc[rng.choice(n, 40, replace=False), "monthly_fee"] = np.nan
    frame.loc[rng.choice(n, 25, replace=False), "plan"] = np.nan
    return frame


if __name__ == "__main__":
    out = Path(__file__).with_name("customers.csv")
    make().to_csv(out, index=False)
    print(f"wrote {out}")
