//! Product mapping: which system SKUs (and how many of each) fulfil one unit of a platform
//! SKU in one store. Several components make a bundle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fulfillment::ProductId;
use crate::order::OrderLine;

/// One system SKU in a mapping: `quantity` units of `product` per unit of the platform SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub product: ProductId,
    pub quantity: u32,
}

/// The key a line is mapped by: the seller's own SKU, else (where the seller left it empty)
/// the platform's variant id, else its item id. `None` when the line has none of them.
pub fn mapping_key(line: &OrderLine) -> Option<&str> {
    [
        Some(line.platform_sku.as_str()),
        line.platform_variant_id.as_deref(),
        line.platform_item_id.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .find(|k| !k.is_empty())
}

/// What an order needs from the warehouse: units per system SKU, summed over its lines
/// (mapped quantity x ordered quantity). Fails with the first line whose key has no mapping
/// (its key, or an empty string for a line without one).
pub fn demand<'m>(
    lines: &[OrderLine],
    mut components: impl FnMut(&str) -> Option<&'m [Component]>,
) -> Result<BTreeMap<ProductId, u64>, String> {
    let mut need: BTreeMap<ProductId, u64> = BTreeMap::new();
    for line in lines {
        let key = mapping_key(line).ok_or_else(String::new)?;
        let parts = components(key)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| key.to_owned())?;
        for c in parts {
            *need.entry(c.product).or_default() += u64::from(c.quantity) * u64::from(line.quantity);
        }
    }
    Ok(need)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::collections::HashMap;

    fn line(sku: &str, variant: Option<&str>, qty: u32) -> OrderLine {
        OrderLine {
            line_id: None,
            platform_sku: sku.into(),
            platform_item_id: Some("ITEM-1".into()),
            platform_variant_id: variant.map(Into::into),
            title: None,
            quantity: qty,
            unit_price: Decimal::ONE,
        }
    }

    #[test]
    fn the_key_falls_back_to_platform_ids_when_the_sku_is_empty() {
        assert_eq!(mapping_key(&line("MUG-1", Some("V9"), 1)), Some("MUG-1"));
        assert_eq!(mapping_key(&line(" ", Some("V9"), 1)), Some("V9"));
        assert_eq!(mapping_key(&line("", None, 1)), Some("ITEM-1"));
    }

    #[test]
    fn bundles_multiply_and_lines_add_up() {
        let (mug, lid) = (ProductId(1), ProductId(2));
        let table: HashMap<&str, Vec<Component>> = HashMap::from([
            (
                "SET",
                vec![
                    Component {
                        product: mug,
                        quantity: 2,
                    },
                    Component {
                        product: lid,
                        quantity: 1,
                    },
                ],
            ),
            (
                "MUG",
                vec![Component {
                    product: mug,
                    quantity: 1,
                }],
            ),
        ]);
        let lookup = |k: &str| table.get(k).map(Vec::as_slice);
        let need = demand(&[line("SET", None, 3), line("MUG", None, 1)], lookup).unwrap();
        assert_eq!(need, BTreeMap::from([(mug, 7), (lid, 3)]));
        let unbound = demand(&[line("MUG", None, 1), line("HAT", None, 1)], lookup);
        assert_eq!(unbound, Err("HAT".to_owned()));
    }
}
