//! The facts the rollups count: for each, the rows it reads (the platform's table or its
//! delta log, both under the alias `x` with the same column names), the instant that
//! places a row in a bucket, and its measures. One definition serves the folding of the
//! log, the rebuild, the raw edges of a read and the correction by the log, so they cannot
//! disagree.
//!
//! Measures are a row's contribution at "infinity": its state by its status columns, which
//! is its state at `asOf` whenever nothing happened at or after `asOf` (the reads check it).

/// How a measure is read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A count.
    Count,
    /// Money, read back in whole cents.
    Money,
    /// Seconds (exact `numeric` sums), read back as a float.
    Seconds,
}

/// One summable column of a rollup table.
#[derive(Clone, Copy, Debug)]
pub struct Measure {
    /// The column.
    pub name: &'static str,
    /// How it is read back.
    pub kind: Kind,
    /// A row's contribution, over the alias `x`.
    pub expr: &'static str,
}

/// One rollup table.
#[derive(Clone, Copy, Debug)]
pub struct Fact {
    /// The rollup table.
    pub table: &'static str,
    /// The delta log that feeds it.
    pub log: &'static str,
    /// The platform's rows, alias `x`, when no slice column is needed.
    pub base: &'static str,
    /// The platform's rows with their slice columns.
    pub base_sliced: &'static str,
    /// The city of a platform row (`''` for facts that are not sliced).
    pub base_city: &'static str,
    /// Its specialty.
    pub base_specialty: &'static str,
    /// The column that places a row in a bucket.
    pub time: &'static str,
    /// Which rows count, over `x`.
    pub filter: &'static str,
    /// Whether the fact has slices (all four grouping sets stored).
    pub sliced: bool,
    /// Its measures; the first is `n`, the row count.
    pub measures: &'static [Measure],
}

const fn count(name: &'static str, expr: &'static str) -> Measure {
    Measure {
        name,
        kind: Kind::Count,
        expr,
    }
}

const fn money(name: &'static str, expr: &'static str) -> Measure {
    Measure {
        name,
        kind: Kind::Money,
        expr,
    }
}

const fn seconds(name: &'static str, expr: &'static str) -> Measure {
    Measure {
        name,
        kind: Kind::Seconds,
        expr,
    }
}

/// Requests by `created_at`.
pub const REQUESTS: Fact = Fact {
    table: "statistics_rollup_requests",
    log: "statistics_rollup_log_requests",
    base: "repair_requests x",
    base_sliced: "repair_requests x",
    base_city: "x.city",
    base_specialty: "x.specialty",
    time: "created_at",
    filter: "TRUE",
    sliced: true,
    measures: &[
        count("n", "1"),
        count(
            "pending",
            "CASE WHEN x.status NOT IN ('completed', 'cancelled', 'assigned', 'in_progress') \
             AND x.assigned_at IS NULL THEN 1 ELSE 0 END",
        ),
        count(
            "in_progress",
            "CASE WHEN x.status NOT IN ('completed', 'cancelled') \
             AND (x.assigned_at IS NOT NULL OR x.status IN ('assigned', 'in_progress')) THEN 1 ELSE 0 END",
        ),
        count(
            "completed",
            "CASE WHEN x.status = 'completed' THEN 1 ELSE 0 END",
        ),
        count(
            "cancelled",
            "CASE WHEN x.status = 'cancelled' THEN 1 ELSE 0 END",
        ),
        count("urgent", "CASE WHEN x.is_urgent THEN 1 ELSE 0 END"),
        count(
            "timed",
            "CASE WHEN x.status = 'completed' AND x.assigned_at IS NOT NULL AND x.completed_at IS NOT NULL THEN 1 ELSE 0 END",
        ),
        seconds(
            "response_secs",
            "CASE WHEN x.status = 'completed' AND x.assigned_at IS NOT NULL AND x.completed_at IS NOT NULL \
             THEN EXTRACT(EPOCH FROM (x.assigned_at - x.created_at)) ELSE 0 END",
        ),
        seconds(
            "completion_secs",
            "CASE WHEN x.status = 'completed' AND x.assigned_at IS NOT NULL AND x.completed_at IS NOT NULL \
             THEN EXTRACT(EPOCH FROM (x.completed_at - x.assigned_at)) ELSE 0 END",
        ),
    ],
};

/// Completed requests by `completed_at`.
pub const COMPLETIONS: Fact = Fact {
    table: "statistics_rollup_completions",
    log: "statistics_rollup_log_requests",
    base: "repair_requests x",
    base_sliced: "repair_requests x",
    base_city: "x.city",
    base_specialty: "x.specialty",
    time: "completed_at",
    filter: "x.status = 'completed' AND x.completed_at IS NOT NULL",
    sliced: true,
    measures: &[count("n", "1")],
};

/// The payment methods kept as columns (DOMAIN.md's value set); any other method is
/// counted in `other_n` and sends the financial figures to the raw path.
pub const METHODS: [&str; 6] = [
    "orange_money",
    "moov_money",
    "wave",
    "card",
    "cash",
    "bank_transfer",
];

/// Payments by `created_at`.
pub const PAYMENTS: Fact = Fact {
    table: "statistics_rollup_payments",
    log: "statistics_rollup_log_payments",
    base: "payments x",
    base_sliced: "payments x LEFT JOIN repair_requests sr ON sr.id = x.request_id",
    base_city: "COALESCE(sr.city, '')",
    base_specialty: "COALESCE(sr.specialty, '')",
    time: "created_at",
    filter: "TRUE",
    sliced: true,
    measures: &[
        count("n", "1"),
        count(
            "completed",
            "CASE WHEN x.status = 'completed' THEN 1 ELSE 0 END",
        ),
        money(
            "revenue",
            "CASE WHEN x.status = 'completed' THEN x.amount ELSE 0 END",
        ),
        money(
            "payouts",
            "CASE WHEN x.status = 'completed' THEN x.technician_payout ELSE 0 END",
        ),
        money(
            "fees",
            "CASE WHEN x.status = 'completed' THEN x.platform_fee ELSE 0 END",
        ),
        money(
            "refunded",
            "CASE WHEN x.status = 'refunded' THEN x.amount ELSE 0 END",
        ),
        count(
            "orange_money_n",
            "CASE WHEN x.status = 'completed' AND x.method = 'orange_money' THEN 1 ELSE 0 END",
        ),
        money(
            "orange_money_amount",
            "CASE WHEN x.status = 'completed' AND x.method = 'orange_money' THEN x.amount ELSE 0 END",
        ),
        count(
            "moov_money_n",
            "CASE WHEN x.status = 'completed' AND x.method = 'moov_money' THEN 1 ELSE 0 END",
        ),
        money(
            "moov_money_amount",
            "CASE WHEN x.status = 'completed' AND x.method = 'moov_money' THEN x.amount ELSE 0 END",
        ),
        count(
            "wave_n",
            "CASE WHEN x.status = 'completed' AND x.method = 'wave' THEN 1 ELSE 0 END",
        ),
        money(
            "wave_amount",
            "CASE WHEN x.status = 'completed' AND x.method = 'wave' THEN x.amount ELSE 0 END",
        ),
        count(
            "card_n",
            "CASE WHEN x.status = 'completed' AND x.method = 'card' THEN 1 ELSE 0 END",
        ),
        money(
            "card_amount",
            "CASE WHEN x.status = 'completed' AND x.method = 'card' THEN x.amount ELSE 0 END",
        ),
        count(
            "cash_n",
            "CASE WHEN x.status = 'completed' AND x.method = 'cash' THEN 1 ELSE 0 END",
        ),
        money(
            "cash_amount",
            "CASE WHEN x.status = 'completed' AND x.method = 'cash' THEN x.amount ELSE 0 END",
        ),
        count(
            "bank_transfer_n",
            "CASE WHEN x.status = 'completed' AND x.method = 'bank_transfer' THEN 1 ELSE 0 END",
        ),
        money(
            "bank_transfer_amount",
            "CASE WHEN x.status = 'completed' AND x.method = 'bank_transfer' THEN x.amount ELSE 0 END",
        ),
        count(
            "other_n",
            "CASE WHEN x.status = 'completed' AND COALESCE(x.method, '') NOT IN \
             ('orange_money', 'moov_money', 'wave', 'card', 'cash', 'bank_transfer') THEN 1 ELSE 0 END",
        ),
    ],
};

/// Reviews by `created_at`.
pub const REVIEWS: Fact = Fact {
    table: "statistics_rollup_reviews",
    log: "statistics_rollup_log_reviews",
    base: "reviews x",
    base_sliced: "reviews x LEFT JOIN repair_requests sr ON sr.id = x.request_id",
    base_city: "COALESCE(sr.city, '')",
    base_specialty: "COALESCE(sr.specialty, '')",
    time: "created_at",
    filter: "TRUE",
    sliced: true,
    measures: &[
        count("n", "1"),
        count("rating_sum", "x.rating"),
        count("r1", "CASE WHEN x.rating = 1 THEN 1 ELSE 0 END"),
        count("r2", "CASE WHEN x.rating = 2 THEN 1 ELSE 0 END"),
        count("r3", "CASE WHEN x.rating = 3 THEN 1 ELSE 0 END"),
        count("r4", "CASE WHEN x.rating = 4 THEN 1 ELSE 0 END"),
        count("r5", "CASE WHEN x.rating = 5 THEN 1 ELSE 0 END"),
        count("recommend", "CASE WHEN x.would_recommend THEN 1 ELSE 0 END"),
    ],
};

/// Login events by `created_at` (not sliced).
pub const LOGINS: Fact = Fact {
    table: "statistics_rollup_logins",
    log: "statistics_rollup_log_logins",
    base: "login_events x",
    base_sliced: "login_events x",
    base_city: "''",
    base_specialty: "''",
    time: "created_at",
    filter: "TRUE",
    sliced: false,
    measures: &[
        count("n", "1"),
        count("failed", "CASE WHEN x.success = FALSE THEN 1 ELSE 0 END"),
    ],
};

/// Users by `created_at` (not sliced).
pub const USERS: Fact = Fact {
    table: "statistics_rollup_users",
    log: "statistics_rollup_log_users",
    base: "users x",
    base_sliced: "users x",
    base_city: "''",
    base_specialty: "''",
    time: "created_at",
    filter: "TRUE",
    sliced: false,
    measures: &[count("n", "1")],
};

/// Users by `last_login` (not sliced): a count over a window is exact at any `asOf`.
pub const USER_LOGINS: Fact = Fact {
    table: "statistics_rollup_user_logins",
    log: "statistics_rollup_log_users",
    base: "users x",
    base_sliced: "users x",
    base_city: "''",
    base_specialty: "''",
    time: "last_login",
    filter: "x.last_login IS NOT NULL",
    sliced: false,
    measures: &[count("n", "1")],
};

/// Every fact, grouped by the log that feeds it (folded together).
pub const BY_LOG: [&[Fact]; 5] = [
    &[REQUESTS, COMPLETIONS],
    &[PAYMENTS],
    &[REVIEWS],
    &[LOGINS],
    &[USERS, USER_LOGINS],
];

/// Every fact.
pub fn all() -> impl Iterator<Item = &'static Fact> {
    BY_LOG.iter().flat_map(|facts| facts.iter())
}

impl Fact {
    /// The position of a measure.
    pub fn index(&self, name: &str) -> usize {
        self.measures
            .iter()
            .position(|m| m.name == name)
            .unwrap_or_else(|| panic!("{} has no measure {name}", self.table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fact_counts_rows_first_and_matches_its_table_in_the_migration() {
        use migration::m20260101_000015_rollups::ROLLUPS;
        for fact in all() {
            assert_eq!(fact.measures[0].name, "n");
            let (_, columns) = ROLLUPS
                .iter()
                .find(|(t, _)| *t == fact.table)
                .expect("a table");
            let names: Vec<&str> = columns
                .iter()
                .map(|c| c.split(' ').next().unwrap())
                .collect();
            let ours: Vec<&str> = fact.measures.iter().map(|m| m.name).collect();
            assert_eq!(names, ours, "{}", fact.table);
        }
    }
}
