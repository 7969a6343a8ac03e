//! Listing orders with filters: the admin API and `omsync orders` read through this.
