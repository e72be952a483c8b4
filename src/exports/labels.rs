//! The words of the exported files, in French (default) and English, and how each column of
//! a list is written.

/// How a value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// As it is.
    Text,
    /// A whole number with thousands separators.
    Count,
    /// Money in the currency.
    Money,
    /// A percentage (the value is 0..=100).
    Percent,
    /// Hours.
    Hours,
    /// A rating.
    Rating,
    /// A local date.
    Date,
    /// A local date and time.
    DateTime,
}

/// The kind of a catalog unit.
pub fn kind_of_unit(unit: &str) -> Kind {
    match unit {
        "money" => Kind::Money,
        "percent" => Kind::Percent,
        "hours" => Kind::Hours,
        "rating" => Kind::Rating,
        _ => Kind::Count,
    }
}

/// How the currency is written after an amount.
pub fn currency_symbol(code: &str) -> String {
    match code {
        "XOF" | "XAF" => "FCFA".into(),
        "EUR" => "€".into(),
        other => other.into(),
    }
}

/// The columns of a list: `(field, kind)`.
pub fn columns(list: &str) -> &'static [(&'static str, Kind)] {
    match list {
        "requests.bySpecialty" | "requests.byCity" => &[
            ("key", Kind::Text),
            ("total", Kind::Count),
            ("completed", Kind::Count),
            ("successRate", Kind::Percent),
        ],
        "financial.paymentMethods" => &[
            ("method", Kind::Text),
            ("count", Kind::Count),
            ("total", Kind::Money),
        ],
        "satisfaction.ratingDistribution" => &[("rating", Kind::Count), ("count", Kind::Count)],
        "technicians.topTechnicians" => &[
            ("technicianId", Kind::Text),
            ("name", Kind::Text),
            ("specialty", Kind::Text),
            ("city", Kind::Text),
            ("avgRating", Kind::Rating),
            ("reviews", Kind::Count),
            ("completedRequests", Kind::Count),
            ("revenue", Kind::Money),
        ],
        "security.suspiciousIps" => &[
            ("ipAddress", Kind::Text),
            ("failed", Kind::Count),
            ("lastSeen", Kind::DateTime),
        ],
        _ => &[
            ("bucketStart", Kind::Date),
            ("requests", Kind::Count),
            ("completed", Kind::Count),
            ("revenue", Kind::Money),
            ("newUsers", Kind::Count),
        ],
    }
}

/// Lists in the order they are written.
pub fn list_order(list: &str) -> usize {
    [
        "bySpecialty",
        "byCity",
        "paymentMethods",
        "ratingDistribution",
        "topTechnicians",
        "suspiciousIps",
        "daily",
        "weekly",
        "monthly",
    ]
    .iter()
    .position(|l| *l == list)
    .unwrap_or(99)
}

/// A sheet's name.
pub fn sheet(section: &str, fr: bool) -> &'static str {
    match (section, fr) {
        ("overview", true) => "Vue d'ensemble",
        ("overview", false) => "Overview",
        ("requests", true) => "Demandes",
        ("requests", false) => "Requests",
        ("financial", true) => "Financier",
        ("financial", false) => "Financial",
        ("satisfaction", _) => "Satisfaction",
        ("technicians", true) => "Techniciens",
        ("technicians", false) => "Technicians",
        ("security", true) => "Sécurité",
        ("security", false) => "Security",
        (_, true) => "Tendances",
        (_, false) => "Trends",
    }
}

/// A list's title.
pub fn list_title(list: &str, fr: bool) -> String {
    let (f, e) = match list {
        "requests.bySpecialty" => ("Demandes par spécialité", "Requests by specialty"),
        "requests.byCity" => ("Demandes par ville", "Requests by city"),
        "financial.paymentMethods" => ("Moyens de paiement", "Payment methods"),
        "satisfaction.ratingDistribution" => ("Répartition des notes", "Rating distribution"),
        "technicians.topTechnicians" => ("Meilleurs techniciens", "Top technicians"),
        "security.suspiciousIps" => ("Adresses suspectes", "Suspicious addresses"),
        "trends.daily" => ("Tendance quotidienne", "Daily trend"),
        "trends.weekly" => ("Tendance hebdomadaire", "Weekly trend"),
        "trends.monthly" => ("Tendance mensuelle", "Monthly trend"),
        other => (other, other),
    };
    if fr { f.into() } else { e.into() }
}

/// A column's header.
pub fn column(name: &str, fr: bool) -> String {
    let (f, e) = match name {
        "metric" => ("Indicateur", "Metric"),
        "value" => ("Valeur", "Value"),
        "key" => ("Valeur", "Value"),
        "total" => ("Total", "Total"),
        "completed" => ("Terminées", "Completed"),
        "successRate" => ("Taux de réussite", "Success rate"),
        "method" => ("Moyen", "Method"),
        "count" => ("Nombre", "Count"),
        "rating" => ("Note", "Rating"),
        "technicianId" => ("N°", "Id"),
        "name" => ("Nom", "Name"),
        "specialty" => ("Spécialité", "Specialty"),
        "city" => ("Ville", "City"),
        "avgRating" => ("Note moyenne", "Average rating"),
        "reviews" => ("Avis", "Reviews"),
        "completedRequests" => ("Demandes terminées", "Completed requests"),
        "revenue" => ("Chiffre d'affaires", "Revenue"),
        "ipAddress" => ("Adresse", "Address"),
        "failed" => ("Échecs", "Failures"),
        "lastSeen" => ("Dernier échec", "Last failure"),
        "bucketStart" => ("Début", "Start"),
        "requests" => ("Demandes", "Requests"),
        "newUsers" => ("Nouveaux utilisateurs", "New users"),
        other => (other, other),
    };
    if fr { f.into() } else { e.into() }
}

/// A header word.
pub fn word(name: &str, fr: bool) -> &'static str {
    match (name, fr) {
        ("period", true) => "Période",
        ("period", false) => "Period",
        ("asOf", true) => "Données au",
        ("asOf", false) => "Data as of",
        ("timezone", true) => "Fuseau horaire",
        ("timezone", false) => "Time zone",
        ("currency", true) => "Devise",
        ("currency", false) => "Currency",
        ("generatedAt", true) => "Généré le",
        ("generatedAt", false) => "Generated at",
        ("city", true) => "Ville",
        ("city", false) => "City",
        ("specialty", true) => "Spécialité",
        ("specialty", false) => "Specialty",
        _ => "",
    }
}

/// A period's name for a reader.
pub fn period(period: &str, fr: bool) -> String {
    match (period, fr) {
        ("LAST_24H", true) => "24 dernières heures".into(),
        ("LAST_24H", false) => "Last 24 hours".into(),
        ("LAST_7D", true) => "7 derniers jours".into(),
        ("LAST_7D", false) => "Last 7 days".into(),
        ("LAST_30D", true) => "30 derniers jours".into(),
        ("LAST_30D", false) => "Last 30 days".into(),
        ("ALL", true) => "Depuis le début".into(),
        ("ALL", false) => "All time".into(),
        (range, _) => range.replace("..", " → "),
    }
}
