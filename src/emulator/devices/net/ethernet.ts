// Ethernet facts the NIC receive filters share: destination kinds and the multicast hash.

/** True for the broadcast address ff:ff:ff:ff:ff:ff at `frame[0..5]`. */
export function isBroadcast(frame: Uint8Array): boolean {
  return (frame[0] & frame[1] & frame[2] & frame[3] & frame[4] & frame[5]) === 0xff;
}

/** True when the address at `offset` (default: the destination) has its group bit set
 *  (multicast or broadcast). */
export function isGroupAddress(frame: Uint8Array, offset = 0): boolean {
  return (frame[offset] & 1) !== 0;
}

/** True when `frame`'s destination equals the 6 bytes of `mac`. */
export function isAddressedTo(frame: Uint8Array, mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (frame[i] !== mac[i]) return false;
  return true;
}

/** The Ethernet CRC-32 of the 6-byte destination, bit-serial as the MAC computes it (data bits
 *  LSB first into the polynomial 0x04C11DB7, MSB-first register): the top 6 bits index a 64-bit
 *  multicast hash filter. */
export function multicastHashIndex(frame: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < 6; i++) {
    let octet = frame[i];
    for (let bit = 0; bit < 8; bit++, octet >>>= 1) {
      const feedback = (crc >>> 31) ^ (octet & 1);
      crc = ((crc << 1) ^ (feedback ? 0x04c11db7 : 0)) >>> 0;
    }
  }
  return crc >>> 26;
}
