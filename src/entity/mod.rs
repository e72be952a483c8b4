//! SeaORM entities of the tables the gateway reads and writes through the ORM.

pub mod users;
