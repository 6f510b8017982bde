#pragma once
// The HDF5 plumbing of the NIR files (NirFile, NirEvents): owned handles, files built and opened
// in memory, and HDF5's errors turned into one-line exceptions. Only those two .cpp files include
// this header (HDF5 is linked privately to firstspike_core).
//
// Files never touch the disk through HDF5: a file to write is built in memory (the core driver
// without a backing store) and its image goes through writeFileAtomically; a file to read is
// read whole through SafeFile's InputFile (regular files only, size capped, memory checked) and
// HDF5 opens that image. HDF5's own error printing is switched off; the innermost message of
// its error stack becomes the text of an NirError.

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace firstspike::nirhdf5 {

// Serialises every HDF5 call of this program (the library is shared by threads).
std::mutex &libraryMutex();

// Switches HDF5's automatic error printing off for the calling thread and clears its stack.
void silence();
// The innermost message of HDF5's error stack ("" when empty); clears the stack.
std::string takeError();

// An hid_t closed by its destructor with the matching H5?close.
class Handle {
public:
    enum class Kind { File, Group, Dataset, Dataspace, Datatype, Attribute, PropertyList };
    Handle() = default;
    Handle(hid_t id, Kind kind) : id_(id), kind_(kind) {}
    ~Handle() { reset(); }
    Handle(Handle &&o) noexcept : id_(o.id_), kind_(o.kind_) { o.id_ = H5I_INVALID_HID; }
    Handle &operator=(Handle &&o) noexcept
    {
        if (this != &o) {
            reset();
            id_ = o.id_;
            kind_ = o.kind_;
            o.id_ = H5I_INVALID_HID;
        }
        return *this;
    }
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    hid_t id() const { return id_; }
    bool valid() const { return id_ >= 0; }
    void reset();

private:
    hid_t id_ = H5I_INVALID_HID;
    Kind kind_ = Kind::File;
};

// Throws `Error(context + ": " + HDF5's message)` when id < 0 (or status < 0).
template <class Error>
hid_t check(hid_t id, const std::string &context)
{
    if (id < 0) {
        const std::string why = takeError();
        throw Error(context + (why.empty() ? std::string() : ": " + why));
    }
    return id;
}

// ---- writing ---------------------------------------------------------------------------

// A new HDF5 file held in memory.
Handle createMemoryFile();
// The bytes of a file made with createMemoryFile() (flushed first).
std::vector<std::uint8_t> fileImage(hid_t file);

Handle createGroup(hid_t parent, const std::string &name);
// A scalar variable-length UTF-8 string dataset (what h5py writes for a Python str).
void writeString(hid_t parent, const std::string &name, const std::string &value);
// A variable-length UTF-8 string array of the given shape (row-major values).
void writeStrings(hid_t parent, const std::string &name, const std::vector<hsize_t> &dims,
                  const std::vector<std::string> &values);
// IEEE float64 / int64 little-endian arrays; an empty dims writes a scalar.
void writeDoubles(hid_t parent, const std::string &name, const std::vector<hsize_t> &dims, const double *values);
void writeInt64s(hid_t parent, const std::string &name, const std::vector<hsize_t> &dims, const std::int64_t *values);
// Scalar attributes: variable-length UTF-8 string, int64, float64.
void writeStringAttribute(hid_t object, const std::string &name, const std::string &value);
void writeInt64Attribute(hid_t object, const std::string &name, std::int64_t value);
void writeDoubleAttribute(hid_t object, const std::string &name, double value);

// ---- reading ---------------------------------------------------------------------------

struct ReadError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Opens the file image read-only (HDF5 copies the bytes).
Handle openMemoryFile(const std::vector<std::uint8_t> &bytes);

bool exists(hid_t parent, const std::string &name);               // a link of that name
bool isGroup(hid_t parent, const std::string &name);
bool isDataset(hid_t parent, const std::string &name);
// The names of a group's links in name order; refuses more than maxLinks or a name longer than
// 255 bytes.
std::vector<std::string> linkNames(hid_t group, std::size_t maxLinks);
Handle openGroup(hid_t parent, const std::string &name);

// A dataset's shape (an empty vector: scalar); refuses more than maxRank dimensions.
std::vector<hsize_t> datasetShape(hid_t parent, const std::string &name, int maxRank);
// A string dataset (variable or fixed length) as strings, row-major; at most maxCount strings
// of at most maxLength bytes each. Refuses a dataset that is not of string type.
std::vector<std::string> readStrings(hid_t parent, const std::string &name, std::size_t maxCount,
                                     std::size_t maxLength = 4096);
// A numeric (integer or float) dataset converted to double, row-major; refuses more than
// maxCount elements and other types. Memory is checked (requireMemory) before it is allocated.
std::vector<double> readDoubles(hid_t parent, const std::string &name, std::uint64_t maxCount, const std::string &what);

} // namespace firstspike::nirhdf5
