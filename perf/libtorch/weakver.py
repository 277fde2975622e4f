# Marks one version need of an ELF shared library weak (VER_FLG_WEAK), so that the loader accepts a libstdc++
# without it. Usage: weakver.py LIB VERSION (e.g. GLIBCXX_3.4.32). Used by run.sh.
import struct, sys
path, want = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path,'rb').read())
# ELF64 LE
e_shoff = struct.unpack_from('<Q', data, 0x28)[0]
e_shentsize, e_shnum, e_shstrndx = struct.unpack_from('<HHH', data, 0x3A)
secs = []
for i in range(e_shnum):
    off = e_shoff + i*e_shentsize
    name, typ, flags, addr, offset, size, link, info, align, entsize = struct.unpack_from('<IIQQQQIIQQ', data, off)
    secs.append((name, typ, offset, size, link, info))
SHT_GNU_verneed = 0x6ffffffe
for (name, typ, offset, size, link, info) in secs:
    if typ != SHT_GNU_verneed: continue
    strtab_off = secs[link][2]
    def s(o):
        end = data.index(b'\0', strtab_off+o); return bytes(data[strtab_off+o:end])
    p = offset
    for _ in range(info):
        vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from('<HHIII', data, p)
        a = p + vn_aux
        for _ in range(vn_cnt):
            vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack_from('<IHHII', data, a)
            if s(vna_name) == want:
                struct.pack_into('<H', data, a+4, vna_flags | 2)
                print('weakened', want, 'in', s(vn_file))
            a += vna_next
            if vna_next == 0: break
        p += vn_next
        if vn_next == 0: break
open(path,'wb').write(data)
