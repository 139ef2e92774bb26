//! A map that is a short vector while small and a hash map once large. Most channels (an
//! invoice, its owner's page and a payer) have one to three subscribers and most connections
//! a few channels; there a vector costs a fraction of an empty-ish hash map, and a scan of a
//! few entries is as fast as hashing.

use std::collections::HashMap;
use std::collections::hash_map;
use std::hash::Hash;

/// Entries kept in the vector; one more turns it into a hash map.
const FEW: usize = 8;

/// A map of `K` to `V`, see the module docs. The hash map is boxed, so the map itself is
/// the size of a `Vec` (24 B rather than a `HashMap`'s 48): it sits in every channel's
/// entry (twice) and in every connection's task.
#[derive(Debug)]
pub(crate) enum SmallMap<K, V> {
    Few(Vec<(K, V)>),
    #[expect(clippy::box_collection, reason = "keeps the enum the size of a Vec")]
    Many(Box<HashMap<K, V>>),
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self::Few(Vec::new())
    }
}

impl<K: Eq + Hash, V> SmallMap<K, V> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Few(entries) => entries.len(),
            Self::Many(map) => map.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        match self {
            Self::Few(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Self::Many(map) => map.get(key),
        }
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self {
            Self::Few(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            Self::Many(map) => map.get_mut(key),
        }
    }

    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Inserts or replaces; returns the value replaced.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self {
            Self::Few(entries) => {
                if let Some((_, old)) = entries.iter_mut().find(|(k, _)| *k == key) {
                    return Some(std::mem::replace(old, value));
                }
                if entries.len() < FEW {
                    // One at a time: a channel with one subscriber keeps room for one.
                    entries.reserve_exact(1);
                    entries.push((key, value));
                } else {
                    let mut map: HashMap<K, V> = std::mem::take(entries).into_iter().collect();
                    map.insert(key, value);
                    *self = Self::Many(Box::new(map));
                }
                None
            }
            Self::Many(map) => map.insert(key, value),
        }
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        match self {
            Self::Few(entries) => {
                let index = entries.iter().position(|(k, _)| k == key)?;
                let (_, value) = entries.swap_remove(index);
                if entries.capacity() > 2 * entries.len() {
                    entries.shrink_to_fit();
                }
                Some(value)
            }
            Self::Many(map) => {
                let value = map.remove(key);
                // Back to a vector well below the threshold, so a map at the edge does not flip.
                if map.len() <= FEW / 2 {
                    *self = Self::Few(std::mem::take(&mut **map).into_iter().collect());
                }
                value
            }
        }
    }

    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        match self {
            Self::Few(entries) => Iter::Few(entries.iter()),
            Self::Many(map) => Iter::Many(map.iter()),
        }
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    pub(crate) fn into_keys(self) -> Vec<K> {
        match self {
            Self::Few(entries) => entries.into_iter().map(|(k, _)| k).collect(),
            Self::Many(map) => map.into_keys().collect(),
        }
    }
}

/// Borrowing iterator over a [`SmallMap`].
#[derive(Debug)]
pub(crate) enum Iter<'a, K, V> {
    Few(std::slice::Iter<'a, (K, V)>),
    Many(hash_map::Iter<'a, K, V>),
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Few(entries) => entries.next().map(|(k, v)| (k, v)),
            Self::Many(map) => map.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_map_across_the_threshold() {
        let mut map = SmallMap::default();
        for i in 0..20 {
            assert_eq!(map.insert(i, i * 10), None);
        }
        assert!(matches!(map, SmallMap::Many(_)));
        assert_eq!(map.insert(3, 33), Some(30));
        assert_eq!(map.len(), 20);
        assert_eq!(map.get(&3), Some(&33));
        for i in 0..18 {
            assert!(map.remove(&i).is_some());
        }
        assert!(matches!(map, SmallMap::Few(_)));
        assert_eq!(map.remove(&0), None);
        let mut keys = map.into_keys();
        keys.sort_unstable();
        assert_eq!(keys, [18, 19]);
    }

    #[test]
    fn the_map_is_the_size_of_a_vec() {
        assert_eq!(std::mem::size_of::<SmallMap<u64, u64>>(), std::mem::size_of::<Vec<u64>>());
    }

    #[test]
    fn a_small_map_stays_small() {
        let mut map = SmallMap::default();
        map.insert("a", 1);
        assert!(matches!(&map, SmallMap::Few(v) if v.capacity() == 1));
        *map.get_mut(&"a").unwrap() += 1;
        assert_eq!(map.values().copied().collect::<Vec<_>>(), [2]);
        assert_eq!(map.remove(&"a"), Some(2));
        assert!(map.is_empty());
    }
}
