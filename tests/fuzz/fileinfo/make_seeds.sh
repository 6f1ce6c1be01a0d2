#!/usr/bin/env bash
# Writes the seeds of the pe_version and elf_version fuzz targets
# (CORPUS_DIR/pe_version/, CORPUS_DIR/elf_version/) from files the real
# tools build: mingw-w64 (windres, gcc, objcopy -O pei-i386, strip) and
# gcc/as; each under 64 KiB. The big-endian ELF seeds are written field by
# field (no big-endian tool chain is installed). make_corpus.sh runs this.
#
#   tests/fuzz/fileinfo/make_seeds.sh CORPUS_DIR
set -euo pipefail
out=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p "$out/pe_version" "$out/elf_version"

cat >v.rc <<'RC'
#pragma code_page(65001)
1 VERSIONINFO
FILEVERSION 1,2,3,4
PRODUCTVERSION 2,0,0,0
FILEFLAGSMASK 0x3f
FILEOS 0x40004
FILETYPE 0x1
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "CompanyName", "Grüße GmbH"
      VALUE "FileVersion", "1.2.3.4 (release)"
      VALUE "ProductName", "Demo"
      VALUE "ProductVersion", "2.0.0-rc.1"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
RC
echo 'int main(void) { return 0; }' >m.c
x86_64-w64-mingw32-windres v.rc -O coff -o v.o
x86_64-w64-mingw32-gcc -s -o app.exe m.c v.o
x86_64-w64-mingw32-gcc -s -shared -o lib.dll m.c v.o
x86_64-w64-mingw32-gcc -s -o bare.exe m.c
x86_64-w64-mingw32-objcopy -O pei-i386 app.exe app32.exe
x86_64-w64-mingw32-strip app.exe lib.dll bare.exe app32.exe
cp app.exe lib.dll bare.exe app32.exe "$out/pe_version/"
# The VS_VERSIONINFO block alone (the target also parses its input as one).
python3 - app.exe "$out/pe_version/version_block.res" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
i = b.find('VS_VERSION_INFO'.encode('utf-16-le')) - 6
open(sys.argv[2], 'wb').write(b[i:i + int.from_bytes(b[i:i + 2], 'little')])
PY

cat >note.s <<'AS'
  .section .note.upkeep.version,"a",%note
  .balign 4
  .long 2f - 1f, 4f - 3f, 1
1: .asciz "upkeep"
2: .balign 4
3: .ascii "1.4.2"
4: .balign 4
  .section .note.GNU-stack,"",%progbits
AS
gcc -Os -s -o "$out/elf_version/app.elf" m.c note.s
as --32 -o "$out/elf_version/note32.o" note.s
python3 - "$out/elf_version" <<'PY'
import struct, sys

def elf(is64, big):
    e = '>' if big else '<'
    def p(fmt, *v):
        return struct.pack(e + fmt, *v)
    names = b'\0.shstrtab\0.note.upkeep.version\0'
    note = p('III', 7, 5, 1) + b'upkeep\0\0' + b'1.2.3\0\0\0'
    hdr = 64 if is64 else 52
    names_at = hdr
    content_at = names_at + len(names)
    table = (content_at + len(note) + 7) // 8 * 8
    W = 'Q' if is64 else 'I'
    f = b'\x7fELF' + bytes([2 if is64 else 1, 2 if big else 1, 1]) + b'\0' * 9
    f += p('HHI', 1, 0, 1) + p(W * 3, 0, 0, table) + p('IHHHHHH', 0, hdr, 0, 0, 64 if is64 else 40, 3, 1)
    f += names + note
    f += b'\0' * (table - len(f))
    def sec(name, typ, off, size, align):
        return p('II', name, typ) + p(W * 4, 0, 0, off, size) + p('II', 0, 0) + p(W * 2, align, 0)
    return f + sec(0, 0, 0, 0, 0) + sec(1, 3, names_at, len(names), 1) + sec(11, 7, content_at, len(note), 4)

open(sys.argv[1] + '/be64.elf', 'wb').write(elf(True, True))
open(sys.argv[1] + '/be32.elf', 'wb').write(elf(False, True))
PY
