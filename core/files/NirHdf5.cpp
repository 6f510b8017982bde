#include "core/files/NirHdf5.h"

#include "core/common/MemoryBudget.h"

#include <cstring>

namespace firstspike::nirhdf5 {

std::mutex &libraryMutex()
{
    static std::mutex m;
    return m;
}

void silence()
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    H5Eclear2(H5E_DEFAULT);
}

namespace {

herr_t firstMessage(unsigned n, const H5E_error2_t *error, void *data)
{
    auto *out = static_cast<std::string *>(data);
    if (n == 0 && error && error->desc)
        *out = error->desc;
    return 0;
}

// One string of a dataset or attribute: NUL-free, at most maxLength bytes, printable.
std::string cleanString(const char *s, std::size_t n)
{
    std::string out(s, strnlen(s, n));
    return out;
}

Handle makeUtf8StringType(size_t size)
{
    Handle type(check<ReadError>(H5Tcopy(H5T_C_S1), "HDF5 string type"), Handle::Kind::Datatype);
    check<ReadError>(H5Tset_size(type.id(), size), "HDF5 string type");
    check<ReadError>(H5Tset_cset(type.id(), H5T_CSET_UTF8), "HDF5 string type");
    return type;
}

Handle simpleSpace(const std::vector<hsize_t> &dims)
{
    if (dims.empty())
        return Handle(check<ReadError>(H5Screate(H5S_SCALAR), "HDF5 dataspace"), Handle::Kind::Dataspace);
    return Handle(check<ReadError>(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), "HDF5 dataspace"),
                  Handle::Kind::Dataspace);
}

std::uint64_t elementCount(const std::vector<hsize_t> &dims)
{
    std::uint64_t n = 1;
    for (hsize_t d : dims)
        n = saturatingMul(n, d);
    return n;
}

} // namespace

std::string takeError()
{
    std::string message;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, firstMessage, &message);
    H5Eclear2(H5E_DEFAULT);
    return message;
}

void Handle::reset()
{
    if (id_ < 0)
        return;
    switch (kind_) {
    case Kind::File: H5Fclose(id_); break;
    case Kind::Group: H5Gclose(id_); break;
    case Kind::Dataset: H5Dclose(id_); break;
    case Kind::Dataspace: H5Sclose(id_); break;
    case Kind::Datatype: H5Tclose(id_); break;
    case Kind::Attribute: H5Aclose(id_); break;
    case Kind::PropertyList: H5Pclose(id_); break;
    }
    id_ = H5I_INVALID_HID;
}

// ---- writing ---------------------------------------------------------------------------

namespace {

// A creation property list of class `cls` (file, group or dataset) that stores no modification
// times in object headers: the same network always gives the same bytes.
Handle untimedCreationList(hid_t cls)
{
    Handle list(check<ReadError>(H5Pcreate(cls), "HDF5 creation property list"), Handle::Kind::PropertyList);
    check<ReadError>(H5Pset_obj_track_times(list.id(), false), "HDF5 creation property list");
    return list;
}

// A dataset of `fileType` with `dims`, written from `values` in `memoryType` (nothing for none).
void writeNumbers(hid_t parent, const std::string &name, hid_t fileType, hid_t memoryType,
                  const std::vector<hsize_t> &dims, const void *values)
{
    Handle space = simpleSpace(dims);
    Handle dcpl = untimedCreationList(H5P_DATASET_CREATE);
    Handle set(check<ReadError>(H5Dcreate2(parent, name.c_str(), fileType, space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT),
                                "dataset " + name),
               Handle::Kind::Dataset);
    if (elementCount(dims) > 0)
        check<ReadError>(H5Dwrite(set.id(), memoryType, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), "dataset " + name);
}

} // namespace

Handle createMemoryFile()
{
    Handle fapl(check<ReadError>(H5Pcreate(H5P_FILE_ACCESS), "HDF5 file access list"), Handle::Kind::PropertyList);
    check<ReadError>(H5Pset_fapl_core(fapl.id(), 1 << 20, 0), "HDF5 in-memory driver");
    Handle fcpl = untimedCreationList(H5P_FILE_CREATE); // the root group's header too
    // The name is only a label: without a backing store nothing is written to it.
    return Handle(check<ReadError>(H5Fcreate("firstspike-nir-in-memory.h5", H5F_ACC_TRUNC, fcpl.id(), fapl.id()),
                                   "HDF5 file in memory"),
                  Handle::Kind::File);
}

std::vector<std::uint8_t> fileImage(hid_t file)
{
    check<ReadError>(H5Fflush(file, H5F_SCOPE_GLOBAL), "HDF5 flush");
    const ssize_t size = H5Fget_file_image(file, nullptr, 0);
    check<ReadError>(size < 0 ? -1 : 0, "HDF5 file image");
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    check<ReadError>(H5Fget_file_image(file, bytes.data(), bytes.size()) < 0 ? -1 : 0, "HDF5 file image");
    return bytes;
}

Handle createGroup(hid_t parent, const std::string &name)
{
    Handle gcpl = untimedCreationList(H5P_GROUP_CREATE);
    return Handle(check<ReadError>(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl.id(), H5P_DEFAULT), "group " + name),
                  Handle::Kind::Group);
}

void writeStrings(hid_t parent, const std::string &name, const std::vector<hsize_t> &dims,
                  const std::vector<std::string> &values)
{
    Handle type = makeUtf8StringType(H5T_VARIABLE);
    Handle space = simpleSpace(dims);
    Handle dcpl = untimedCreationList(H5P_DATASET_CREATE);
    Handle set(check<ReadError>(H5Dcreate2(parent, name.c_str(), type.id(), space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT),
                                "dataset " + name),
               Handle::Kind::Dataset);
    std::vector<const char *> pointers;
    pointers.reserve(values.size());
    for (const std::string &v : values)
        pointers.push_back(v.c_str());
    check<ReadError>(H5Dwrite(set.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), "dataset " + name);
}

void writeString(hid_t parent, const std::string &name, const std::string &value)
{
    writeStrings(parent, name, {}, {value});
}

void writeDoubles(hid_t parent, const std::string &name, const std::vector<hsize_t> &dims, const double *values)
{
    writeNumbers(parent, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dims, values);
}

void writeInt64s(hid_t parent, const std::string &name, const std::vector<hsize_t> &dims, const std::int64_t *values)
{
    writeNumbers(parent, name, H5T_STD_I64LE, H5T_NATIVE_INT64, dims, values);
}

void writeStringAttribute(hid_t object, const std::string &name, const std::string &value)
{
    Handle type = makeUtf8StringType(H5T_VARIABLE);
    Handle space = simpleSpace({});
    Handle a(check<ReadError>(H5Acreate2(object, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                              "attribute " + name),
             Handle::Kind::Attribute);
    const char *p = value.c_str();
    check<ReadError>(H5Awrite(a.id(), type.id(), &p), "attribute " + name);
}

void writeInt64Attribute(hid_t object, const std::string &name, std::int64_t value)
{
    Handle space = simpleSpace({});
    Handle a(check<ReadError>(H5Acreate2(object, name.c_str(), H5T_STD_I64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT),
                              "attribute " + name),
             Handle::Kind::Attribute);
    check<ReadError>(H5Awrite(a.id(), H5T_NATIVE_INT64, &value), "attribute " + name);
}

void writeDoubleAttribute(hid_t object, const std::string &name, double value)
{
    Handle space = simpleSpace({});
    Handle a(check<ReadError>(H5Acreate2(object, name.c_str(), H5T_IEEE_F64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT),
                              "attribute " + name),
             Handle::Kind::Attribute);
    check<ReadError>(H5Awrite(a.id(), H5T_NATIVE_DOUBLE, &value), "attribute " + name);
}

// ---- reading ---------------------------------------------------------------------------

Handle openMemoryFile(const std::vector<std::uint8_t> &bytes)
{
    // The HDF5 signature first: HDF5 itself would also look for it at 512, 1024, ... bytes
    // (a user block); Firstspike accepts only files that start with it.
    static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    if (bytes.size() < sizeof signature || std::memcmp(bytes.data(), signature, sizeof signature) != 0)
        throw ReadError("not an HDF5 file (no HDF5 signature at its start)");
    Handle fapl(check<ReadError>(H5Pcreate(H5P_FILE_ACCESS), "HDF5 file access list"), Handle::Kind::PropertyList);
    check<ReadError>(H5Pset_fapl_core(fapl.id(), 1 << 20, 0), "HDF5 in-memory driver");
    check<ReadError>(H5Pset_file_image(fapl.id(), const_cast<std::uint8_t *>(bytes.data()), bytes.size()),
                     "HDF5 file image");
    return Handle(check<ReadError>(H5Fopen("firstspike-nir-in-memory.h5", H5F_ACC_RDONLY, fapl.id()),
                                   "not a readable HDF5 file"),
                  Handle::Kind::File);
}

bool exists(hid_t parent, const std::string &name)
{
    if (name.empty() || name.find('/') != std::string::npos)
        return false;
    const htri_t r = H5Lexists(parent, name.c_str(), H5P_DEFAULT);
    if (r < 0)
        takeError();
    return r > 0;
}

namespace {
H5O_type_t objectType(hid_t parent, const std::string &name)
{
    if (!exists(parent, name))
        return H5O_TYPE_UNKNOWN;
    H5L_info_t link;
    if (H5Lget_info(parent, name.c_str(), &link, H5P_DEFAULT) < 0 || link.type != H5L_TYPE_HARD) {
        takeError();
        return H5O_TYPE_UNKNOWN; // soft and external links are not followed
    }
    const hid_t object = H5Oopen(parent, name.c_str(), H5P_DEFAULT);
    if (object < 0) {
        takeError();
        return H5O_TYPE_UNKNOWN;
    }
    const H5I_type_t type = H5Iget_type(object);
    H5Oclose(object);
    return type == H5I_GROUP ? H5O_TYPE_GROUP : type == H5I_DATASET ? H5O_TYPE_DATASET : H5O_TYPE_UNKNOWN;
}
} // namespace

bool isGroup(hid_t parent, const std::string &name)
{
    return objectType(parent, name) == H5O_TYPE_GROUP;
}

bool isDataset(hid_t parent, const std::string &name)
{
    return objectType(parent, name) == H5O_TYPE_DATASET;
}

std::vector<std::string> linkNames(hid_t group, std::size_t maxLinks)
{
    H5G_info_t info;
    check<ReadError>(H5Gget_info(group, &info), "group");
    if (info.nlinks > maxLinks)
        throw ReadError("a group holds " + std::to_string(info.nlinks) + " entries, more than the " +
                        std::to_string(maxLinks) + " accepted");
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t n = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        check<ReadError>(n < 0 ? -1 : 0, "group entry");
        if (n > 255)
            throw ReadError("a group entry has a name of " + std::to_string(n) + " bytes (at most 255 accepted)");
        std::string name(static_cast<std::size_t>(n) + 1, '\0');
        check<ReadError>(H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                                            H5P_DEFAULT) < 0 ? -1 : 0,
                         "group entry");
        name.resize(static_cast<std::size_t>(n));
        names.push_back(name);
    }
    return names;
}

Handle openGroup(hid_t parent, const std::string &name)
{
    if (!isGroup(parent, name))
        throw ReadError("'" + name + "' is not a group");
    return Handle(check<ReadError>(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), "group " + name), Handle::Kind::Group);
}

namespace {
Handle openDataset(hid_t parent, const std::string &name)
{
    if (!isDataset(parent, name))
        throw ReadError(exists(parent, name) ? "'" + name + "' is not a dataset" : "dataset '" + name + "' is missing");
    return Handle(check<ReadError>(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "dataset " + name), Handle::Kind::Dataset);
}

std::vector<hsize_t> shapeOf(hid_t set, const std::string &name, int maxRank)
{
    Handle space(check<ReadError>(H5Dget_space(set), "dataset " + name), Handle::Kind::Dataspace);
    const H5S_class_t cls = H5Sget_simple_extent_type(space.id());
    if (cls == H5S_NULL)
        throw ReadError("dataset '" + name + "' is empty (null dataspace)");
    const int rank = check<ReadError>(H5Sget_simple_extent_ndims(space.id()), "dataset " + name);
    if (rank > maxRank)
        throw ReadError("dataset '" + name + "' has " + std::to_string(rank) + " dimensions (at most " +
                        std::to_string(maxRank) + " expected)");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    if (rank > 0)
        check<ReadError>(H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr), "dataset " + name);
    return dims;
}
} // namespace

std::vector<hsize_t> datasetShape(hid_t parent, const std::string &name, int maxRank)
{
    Handle set = openDataset(parent, name);
    return shapeOf(set.id(), name, maxRank);
}

std::vector<std::string> readStrings(hid_t parent, const std::string &name, std::size_t maxCount, std::size_t maxLength)
{
    Handle set = openDataset(parent, name);
    const std::vector<hsize_t> dims = shapeOf(set.id(), name, 2);
    const std::uint64_t count = elementCount(dims);
    if (count > maxCount)
        throw ReadError("dataset '" + name + "' holds " + std::to_string(count) + " strings (at most " +
                        std::to_string(maxCount) + " expected)");
    Handle fileType(check<ReadError>(H5Dget_type(set.id()), "dataset " + name), Handle::Kind::Datatype);
    if (H5Tget_class(fileType.id()) != H5T_STRING)
        throw ReadError("dataset '" + name + "' is not a string");
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(count));
    const htri_t variable = H5Tis_variable_str(fileType.id());
    check<ReadError>(variable < 0 ? -1 : 0, "dataset " + name);
    if (variable) {
        Handle memType = makeUtf8StringType(H5T_VARIABLE);
        std::vector<char *> pointers(static_cast<std::size_t>(count), nullptr);
        check<ReadError>(H5Dread(set.id(), memType.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
                         "dataset " + name);
        Handle space(check<ReadError>(H5Dget_space(set.id()), "dataset " + name), Handle::Kind::Dataspace);
        bool tooLong = false;
        for (char *p : pointers) {
            const std::size_t n = p ? strnlen(p, maxLength + 1) : 0;
            tooLong = tooLong || n > maxLength;
            out.push_back(p ? cleanString(p, std::min(n, maxLength)) : std::string());
        }
        H5Dvlen_reclaim(memType.id(), space.id(), H5P_DEFAULT, pointers.data());
        if (tooLong)
            throw ReadError("dataset '" + name + "' holds a string longer than " + std::to_string(maxLength) + " bytes");
    } else {
        const std::size_t size = H5Tget_size(fileType.id());
        if (size == 0 || size > maxLength)
            throw ReadError("dataset '" + name + "' holds strings of " + std::to_string(size) + " bytes (at most " +
                            std::to_string(maxLength) + " accepted)");
        Handle memType = makeUtf8StringType(size);
        check<ReadError>(H5Tset_strpad(memType.id(), H5T_STR_NULLPAD), "dataset " + name);
        std::vector<char> buffer(static_cast<std::size_t>(count) * size + 1, '\0');
        check<ReadError>(H5Dread(set.id(), memType.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), "dataset " + name);
        for (std::uint64_t i = 0; i < count; ++i)
            out.push_back(cleanString(buffer.data() + i * size, size));
    }
    return out;
}

std::vector<double> readDoubles(hid_t parent, const std::string &name, std::uint64_t maxCount, const std::string &what)
{
    Handle set = openDataset(parent, name);
    const std::vector<hsize_t> dims = shapeOf(set.id(), name, 4);
    const std::uint64_t count = elementCount(dims);
    if (count > maxCount)
        throw ReadError("dataset '" + name + "' holds " + std::to_string(count) + " numbers (at most " +
                        std::to_string(maxCount) + " expected)");
    Handle fileType(check<ReadError>(H5Dget_type(set.id()), "dataset " + name), Handle::Kind::Datatype);
    const H5T_class_t cls = H5Tget_class(fileType.id());
    if (cls != H5T_FLOAT && cls != H5T_INTEGER)
        throw ReadError("dataset '" + name + "' is not numeric");
    requireMemory(saturatingMul(count, sizeof(double)), what);
    std::vector<double> values(static_cast<std::size_t>(count));
    if (count > 0)
        check<ReadError>(H5Dread(set.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
                         "dataset " + name);
    return values;
}

} // namespace firstspike::nirhdf5
