// libFuzzer target: the checkpoint reader on hostile bytes. Even first byte: the rest is a
// whole file. Odd first byte: the rest is a payload wrapped in a valid header and CRC, so the
// fuzzer reaches the field parser behind the checksum. Any outcome but a checkpoint or a
// CheckpointError is a bug.

#include "core/files/Checkpoint.h"

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return 0;
    std::vector<std::uint8_t> file;
    if (data[0] % 2 == 0) {
        file.assign(data + 1, data + size);
    } else {
        const std::size_t n = size - 1;
        const char magic[8] = {'F', 'S', 'P', 'I', 'K', 'E', 'C', 'K'};
        file.assign(magic, magic + 8);
        const std::uint32_t version = firstspike::Checkpoint::kFormatVersion;
        for (int i = 0; i < 4; ++i)
            file.push_back(static_cast<std::uint8_t>(version >> (8 * i)));
        for (int i = 0; i < 8; ++i)
            file.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(n) >> (8 * i)));
        file.insert(file.end(), data + 1, data + size);
        const std::uint32_t crc = static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0), data + 1, static_cast<uInt>(n)));
        for (int i = 0; i < 4; ++i)
            file.push_back(static_cast<std::uint8_t>(crc >> (8 * i)));
    }
    try {
        const firstspike::Checkpoint c = firstspike::deserializeCheckpoint(file, "fuzz.fsck");
        // What parsed must serialise back to the same bytes (an older format version is written
        // as the current one: then that must read back to the same bytes again).
        const std::vector<std::uint8_t> again = firstspike::serializeCheckpoint(c);
        const std::uint32_t version = static_cast<std::uint32_t>(file[8]) | static_cast<std::uint32_t>(file[9]) << 8
                                      | static_cast<std::uint32_t>(file[10]) << 16 | static_cast<std::uint32_t>(file[11]) << 24;
        if (version == firstspike::Checkpoint::kFormatVersion ? again != file
                                                                : firstspike::serializeCheckpoint(
                                                                      firstspike::deserializeCheckpoint(again, "fuzz.fsck"))
                                                                      != again)
            std::abort();
    } catch (const firstspike::CheckpointError &) {
    }
    return 0;
}
