//! Reviews in the period: ratings, satisfaction, recommendation and the rating distribution,
//! from one grouped pass over `reviews`.

use super::{Scope, mean, percent};
use crate::window::Window;
use async_graphql::SimpleObject;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

/// How many reviews gave one rating.
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize, Deserialize)]
pub struct RatingCount {
    /// The rating, 1..=5.
    pub rating: i32,
    /// Reviews with it.
    pub count: i64,
}

/// Reviews created in the period.
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize, Deserialize)]
pub struct SatisfactionStats {
    /// Reviews in the period.
    pub total_reviews: i64,
    /// Mean rating.
    pub avg_rating: f64,
    /// Reviews rated 4 or 5 / total * 100.
    pub satisfaction_rate: f64,
    /// Reviews that would recommend / total * 100.
    pub recommendation_rate: f64,
    /// Count per rating, 1 to 5, all five present.
    pub rating_distribution: Vec<RatingCount>,
}

/// Reviews of one rating in the period.
#[derive(FromQueryResult)]
struct RatingRow {
    rating: i32,
    reviews: i64,
    recommend: i64,
}

/// Computes the satisfaction group.
pub async fn compute(
    db: &impl ConnectionTrait,
    window: &Window,
) -> Result<SatisfactionStats, DbErr> {
    let mut s = Scope::new(db.get_database_backend(), window);
    let exists = s.exists("v.created_at");
    let period = s.in_period("v.created_at");
    let (join, slice) = s.request_slice("v");
    s.sql.push(&format!(
        "SELECT CAST(v.rating AS INTEGER) AS rating, COUNT(*) AS reviews, \
           COUNT(CASE WHEN v.would_recommend THEN 1 END) AS recommend \
         FROM reviews v{join} WHERE {exists} AND {period}{slice} GROUP BY v.rating"
    ));
    let rows: Vec<RatingRow> = s.sql.rows(db).await?;
    let mut counts = [0i64; 5];
    let (mut total, mut recommend, mut rating_sum) = (0i64, 0i64, 0i64);
    for row in rows {
        let rating = i64::from(row.rating);
        if (1..=5).contains(&rating) {
            counts[(rating - 1) as usize] += row.reviews;
        }
        total += row.reviews;
        rating_sum += rating * row.reviews;
        recommend += row.recommend;
    }
    Ok(SatisfactionStats {
        total_reviews: total,
        avg_rating: mean(rating_sum as f64, total),
        satisfaction_rate: percent(counts[3] + counts[4], total),
        recommendation_rate: percent(recommend, total),
        rating_distribution: (1..=5)
            .map(|rating| RatingCount {
                rating,
                count: counts[(rating - 1) as usize],
            })
            .collect(),
    })
}
