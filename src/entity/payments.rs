//! `payments`: a payment for a request: amount = platform_fee + technician_payout.

use sea_orm::entity::prelude::*;

/// A row of `payments`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The request paid for.
    pub request_id: i64,
    /// The paying user.
    pub payer_id: i64,
    /// The technician paid.
    pub technician_id: Option<i64>,
    /// Amount.
    pub amount: Decimal,
    /// Platform's part.
    pub platform_fee: Decimal,
    /// Technician's part.
    pub technician_payout: Decimal,
    /// `orange_money` `moov_money` `wave` `card` `cash` `bank_transfer`.
    pub method: String,
    /// `pending` `completed` `failed` `refunded`.
    pub status: String,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// Completion.
    pub completed_at: Option<DateTimeUtc>,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
